import type * as z from '../schemas/zod.ts';
import { type FieldProblem, ValidationError } from '../domain/errors.ts';

export function fieldProblems(error: z.core.$ZodError, pathPrefix?: string): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: joinPath(pathPrefix, issue.path.map(String)),
    message: issue.message,
  }));
}

/** Parses input with a schema at the edge; a mismatch is a 422 naming every bad field. */
export function parseWith<S extends z.ZodMiniType>(schema: S, input: unknown, pathPrefix?: string): z.output<S> {
  const prototypeKeys = prototypeKeyProblems(input, [], pathPrefix);
  if (prototypeKeys.length > 0) throw new ValidationError(prototypeKeys);
  const result = schema.safeParse(input, { error: requiredWhenMissing });
  if (!result.success) throw new ValidationError(fieldProblems(result.error, pathPrefix));
  return result.data;
}

/**
 * A missing field's problem says "is required" (with the values it may take, for a choice): zod's
 * own words ("expected number, received undefined") describe a type where the field is absent.
 * A schema's own message, where it has one, still wins.
 */
function requiredWhenMissing(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input !== undefined) return undefined;
  const choices = 'values' in issue ? issue.values : 'options' in issue ? issue.options : undefined;
  return Array.isArray(choices) && choices.length > 0 ? `is required: one of ${choices.map(String).join(', ')}` : 'is required';
}

/** Deeper than any schema of ours nests (the JSON guard refuses deeper bodies before this). */
const maxInputDepth = 64;

/**
 * Every key named `__proto__` in an input. JSON.parse keeps it as an ordinary key, but zod's
 * records drop it without a word (a PATCH of such a trait would be a silent no-op) and any copy by
 * assignment turns it into the object's prototype. No field of ours has that name, so it is refused.
 */
function prototypeKeyProblems(value: unknown, path: string[], pathPrefix: string | undefined, depth = 0): FieldProblem[] {
  if (value === null || typeof value !== 'object' || depth > maxInputDepth) return [];
  const problems: FieldProblem[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === '__proto__') problems.push({ path: joinPath(pathPrefix, [...path, key]), message: 'is a name this API never accepts' });
    else problems.push(...prototypeKeyProblems(child, [...path, key], pathPrefix, depth + 1));
  }
  return problems;
}

function joinPath(pathPrefix: string | undefined, path: string[]): string {
  return [...(pathPrefix ? [pathPrefix] : []), ...path].join('.') || '(body)';
}
