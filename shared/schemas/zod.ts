/**
 * zod's functional build (`zod/mini`), which tree-shakes to what a schema uses (issue 12: the
 * classic API's chained methods pull in most of the library, about 100 KiB of every bundle).
 * Every schema of ours imports zod from this module, for the two things the classic build did
 * by itself.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

// The classic build registers the English messages; the mini build registers none, so every issue
// would read "Invalid input". The API's 4xx problems quote these messages.
z.config(en());

export * from 'zod/mini';

/**
 * A copy of the schema carrying the metadata (description, example, component id), as the classic
 * `.meta()` makes it. Mini's own `.check(z.meta(...))` registers the metadata on every later clone
 * that keeps the check, so an `id` would be registered twice and the document refuse to build.
 */
export function withMeta<T extends z.core.$ZodType>(schema: T, metadata: z.core.GlobalMeta): T {
  const copy = z.clone(schema);
  z.globalRegistry.add(copy, metadata);
  return copy;
}
