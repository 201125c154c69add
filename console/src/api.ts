/**
 * Every call the console makes to the Touchpoint API, in one module, through openapi-fetch and
 * the typed client package's types, generated from the served document (`npm run generate:client`,
 * checked for drift by test/client/drift.test.ts).
 */
import createClient from 'openapi-fetch';
import type { components, paths } from '../../clients/typescript/src/schema.ts';

type Schemas = components['schemas'];
export type CustomerView = Schemas['CustomerView'];
export type RecognitionCard = Schemas['RecognitionCard'];
export type Touchpoint = Schemas['Touchpoint'];
export type TimelinePage = Schemas['TimelinePage'];
export type ContactDecision = Schemas['ContactDecision'];
export type MergeRecord = Schemas['MergeRecord'];
/** The API's problem document, or `about:blank` for a failure no API answer explains (network, sign-in). */
export type Problem = Omit<Schemas['Problem'], 'type'> & { type: Schemas['Problem']['type'] | 'about:blank' };
export type Channel = Touchpoint['channel'];
export type ContactChannel = ContactDecision['channel'];
export type IdentifierList = paths['/v1/customers/{customerId}/identifiers']['get']['responses'][200]['content']['application/json'];
export type LookupQuery = NonNullable<paths['/v1/customers/lookup']['get']['parameters']['query']>;
export type LookupType = keyof LookupQuery;

export const channels: readonly Channel[] = ['call', 'email', 'invoice_query', 'web_visit', 'letter', 'chat', 'sms', 'in_person'];
export const contactChannels: readonly ContactChannel[] = ['phone', 'email', 'sms', 'mail'];

/**
 * The 300 answer of a lookup by a shared identifier and the merge candidate page: the served
 * document does not describe these two bodies yet, so their shapes are written here, from the
 * API's domain types (shared/domain/read-customers.ts, identity-store.ts).
 */
export interface LookupCandidate {
  customerId: string;
  displayName: string | null;
  matchedBy: { type: string; value: string; shared: true };
  lastContact: CustomerView['summary']['lastContact'];
}
export interface MergeCandidate {
  candidateId: string;
  customerIds: [string, string];
  identifiers: { type: string; value: string }[];
  occurrences: number;
  detectedAt: string;
  lastSeenAt: string;
  status: 'open' | 'dismissed' | 'merged';
}
export interface MergeCandidatePage {
  items: MergeCandidate[];
  nextCursor: string | null;
}

export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };
export type LookupResult = Result<{ kind: 'customer'; view: CustomerView } | { kind: 'candidates'; detail: string; candidates: LookupCandidate[] }>;

export interface ApiOptions {
  baseUrl: string;
  /** Read at every request: the credential may change (sign-in, token refresh, sign-out). */
  credential: () => string | undefined;
  fetch?: typeof fetch;
}

/**
 * A refusal as RFC 9457 problem details whatever answered: the API's own problems pass through;
 * API Gateway's `{"message":"Forbidden"}` and a network failure are put in the same shape.
 */
function toProblem(body: unknown, response: Response | undefined): Problem {
  if (body && typeof body === 'object' && 'title' in body && 'detail' in body) {
    const given = body as Problem;
    return { ...given, status: given.status ?? response?.status ?? 0 };
  }
  const status = response?.status ?? 0;
  const message = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : undefined;
  return {
    type: 'about:blank',
    title: status === 0 ? 'The API could not be reached' : (message ?? response?.statusText ?? `HTTP ${status}`),
    status,
    detail: status === 0 ? 'Check the network connection and try again.' : (message ?? ''),
  };
}

/** The staff member named in the audit trail, when the agent gave a name; else the API records the credential. */
function actor(requestedBy: string): { requestedBy?: string } {
  return requestedBy ? { requestedBy } : {};
}

async function settle<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Result<T>> {
  try {
    const { data, error, response } = await call;
    if (response.ok) return { ok: true, value: data as T };
    return { ok: false, problem: toProblem(error, response) };
  } catch {
    return { ok: false, problem: toProblem(undefined, undefined) };
  }
}

export function createApi(options: ApiOptions) {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  client.use({
    onRequest({ request }) {
      const credential = options.credential();
      if (credential) request.headers.set('authorization', `Bearer ${credential}`);
      return request;
    },
  });

  return {
    async lookup(type: LookupType, value: string): Promise<LookupResult> {
      try {
        const { data, error, response } = await client.GET('/v1/customers/lookup', { params: { query: { [type]: value } } });
        if (response.ok && data) return { ok: true, value: { kind: 'customer', view: data } };
        if (response.status === 300) {
          const body = error as unknown as { detail: string; candidates: LookupCandidate[] };
          return { ok: true, value: { kind: 'candidates', detail: body.detail, candidates: body.candidates } };
        }
        return { ok: false, problem: toProblem(error, response) };
      } catch {
        return { ok: false, problem: toProblem(undefined, undefined) };
      }
    },
    timeline(customerId: string, query: { channels: Channel[]; from?: string; to?: string; cursor?: string; limit: number }) {
      return settle(
        client.GET('/v1/customers/{customerId}/timeline', {
          params: {
            path: { customerId },
            query: {
              limit: query.limit,
              ...(query.channels.length > 0 ? { channel: query.channels.join(',') } : {}),
              ...(query.from ? { from: query.from } : {}),
              ...(query.to ? { to: query.to } : {}),
              ...(query.cursor ? { cursor: query.cursor } : {}),
            },
          },
        }),
      );
    },
    contactCheck(customerId: string, channel: ContactChannel) {
      return settle(client.GET('/v1/customers/{customerId}/contact-check', { params: { path: { customerId }, query: { channel } } }));
    },
    identifiers(customerId: string) {
      return settle(client.GET('/v1/customers/{customerId}/identifiers', { params: { path: { customerId } } }));
    },
    merges(customerId: string) {
      return settle(client.GET('/v1/customers/{customerId}/merges', { params: { path: { customerId } } }));
    },
    mergeCandidates(query: { limit: number; cursor?: string }) {
      return settle(client.GET('/v1/merge-candidates', { params: { query } })) as Promise<Result<MergeCandidatePage>>;
    },
    merge(targetCustomerId: string, sourceCustomerId: string, reason: string, requestedBy: string) {
      return settle(
        client.POST('/v1/customers/{customerId}/merge', {
          params: { path: { customerId: targetCustomerId } },
          body: { sourceCustomerId, reason, ...actor(requestedBy) },
        }),
      );
    },
    undoMerge(mergeId: string, reason: string, requestedBy: string) {
      // The reason is optional here, and an empty one is refused: it is left out unless given.
      const body = { ...(reason ? { reason } : {}), ...actor(requestedBy) };
      return settle(client.POST('/v1/merges/{mergeId}/undo', { params: { path: { mergeId } }, body }));
    },
    dismissCandidate(candidateId: string) {
      return settle(client.POST('/v1/merge-candidates/{candidateId}/dismiss', { params: { path: { candidateId } } }));
    },
    moveTouchpoint(touchpointId: string, customerId: string, reason: string, requestedBy: string) {
      return settle(
        client.POST('/v1/touchpoints/{touchpointId}/move', {
          params: { path: { touchpointId } },
          body: { customerId, reason, ...actor(requestedBy) },
        }),
      );
    },
    /**
     * What the credential may do beyond reading. No route names a credential's scopes, so this
     * asks for one merge candidate: a 403 after a successful read means no `identity:merge`.
     */
    async canMerge(): Promise<boolean> {
      const answer = await settle(client.GET('/v1/merge-candidates', { params: { query: { limit: 1 } } }));
      return answer.ok;
    },
  };
}

export type Api = ReturnType<typeof createApi>;
