import type { Client } from 'openapi-fetch';
import { isProblem, type Problem, TouchpointApiError } from './errors.js';
import type { paths } from './schema.js';

type LookupOperation = paths['/v1/customers/lookup']['get'];
type IdentifierQuery = NonNullable<LookupOperation['parameters']['query']>;

/** Exactly one identifier, as the route requires: `{ phone: '+44 20 7946 0018' }`, `{ invoiceNumber: 'INV-1' }`, ... */
export type LookupIdentifier = {
  [Type in keyof IdentifierQuery]-?: { [Given in Type]-?: string } & { [Other in Exclude<keyof IdentifierQuery, Type>]?: never };
}[keyof IdentifierQuery];

/** The customer view the lookup answers with (card, identifiers, summary, recent touchpoints). */
export type CustomerView = LookupOperation['responses'][200]['content']['application/json'];

/** The 300 answer: several customers share the identifier (a household landline). */
type CandidateList = LookupOperation['responses'][300]['content']['application/json'];

/** One customer sharing the identifier, as the 300 answer names them (with the shared identifier that matched). */
export type LookupCandidate = CandidateList['candidates'][number];

/**
 * found: one customer owns the identifier. candidates: several share it (HTTP 300), pick one
 * (by customerId) rather than guess. not-found: nobody has it yet (HTTP 404).
 */
export type LookupResult =
  | { kind: 'found'; customer: CustomerView }
  | { kind: 'candidates'; detail: string; candidates: LookupCandidate[] }
  | { kind: 'not-found'; problem: Problem };

export async function lookupCustomer(client: Client<paths>, identifier: LookupIdentifier, signal?: AbortSignal): Promise<LookupResult> {
  const { data, error, response } = await client.GET('/v1/customers/lookup', {
    params: { query: identifier },
    ...(signal ? { signal } : {}),
  });
  if (data !== undefined) return { kind: 'found', customer: data };
  if (response.status === 300 && isCandidateList(error)) return { kind: 'candidates', detail: error.detail, candidates: error.candidates };
  if (response.status === 404 && isProblem(error)) return { kind: 'not-found', problem: error };
  throw TouchpointApiError.fromResponse(response, error);
}

function isCandidateList(body: unknown): body is CandidateList {
  if (typeof body !== 'object' || body === null) return false;
  const { detail, candidates } = body as Record<string, unknown>;
  return (
    typeof detail === 'string' &&
    Array.isArray(candidates) &&
    candidates.every(
      (candidate: unknown) =>
        typeof candidate === 'object' &&
        candidate !== null &&
        typeof (candidate as Record<string, unknown>).customerId === 'string' &&
        typeof (candidate as Record<string, unknown>).matchedBy === 'object',
    )
  );
}
