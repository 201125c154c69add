import type { z } from 'zod';
import { type FieldProblem, ValidationError } from '../domain/errors.ts';

export function fieldProblems(error: z.ZodError, pathPrefix?: string): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: [...(pathPrefix ? [pathPrefix] : []), ...issue.path.map(String)].join('.') || '(body)',
    message: issue.message,
  }));
}

/** Parses input with a schema at the edge; a mismatch is a 422 naming every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, pathPrefix?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldProblems(result.error, pathPrefix));
  return result.data;
}
