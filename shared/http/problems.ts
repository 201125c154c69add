import type { FieldProblem } from '../domain/errors.ts';
import { problemTypeBase } from '../schemas/problem-types.ts';

/** An RFC 9457 problem details document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export function problem(status: number, slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return { type: `${problemTypeBase}${slug}`, title, status, detail, ...extensions };
}

/** An error the HTTP layer raises itself (content type, size, malformed JSON), already shaped as a problem. */
export class HttpProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
    this.name = 'HttpProblemError';
  }
}
