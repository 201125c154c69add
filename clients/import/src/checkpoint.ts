import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as z from 'zod';

export const countsSchema = z.strictObject({
  stored: z.number().int().min(0),
  replayed: z.number().int().min(0),
  accepted: z.number().int().min(0),
  refused: z.number().int().min(0),
});

export type Counts = z.infer<typeof countsSchema>;

/**
 * What a killed import leaves behind: which rows the API acknowledged (every row up to `rows`, in
 * file order), the counts so far, and how long the rejects file was then (a rerun cuts off what a
 * killed run wrote after it). `run` says which import it belongs to: the same file (size and
 * modification time), the same map and the same API. Another import starts over, which is safe:
 * every row carries its idempotency key.
 */
const checkpointSchema = z.strictObject({
  run: z.string(),
  rows: z.number().int().min(0),
  counts: countsSchema,
  /** Refused rows by kind, for the summary. */
  reasons: z.record(z.string(), z.number().int().min(0)),
  rejectsBytes: z.number().int().min(0),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

/** The checkpoint of this run, or undefined for none (no file, another run's, or a damaged one). */
export async function readCheckpoint(path: string, run: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = checkpointSchema.safeParse(json);
  return parsed.success && parsed.data.run === run ? parsed.data : undefined;
}

/** Written aside and renamed over: a kill mid-write leaves the previous checkpoint, never half of one. */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const aside = `${path}.${process.pid}.tmp`;
  await writeFile(aside, `${JSON.stringify(checkpoint)}\n`);
  await rename(aside, path);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}
