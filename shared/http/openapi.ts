import * as z from '../schemas/zod.ts';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiOverrideContext,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { usesAuthorizer } from '../auth/access.ts';
import type { RouteAccess } from '../auth/scopes.ts';
import { credentialSource, customerIdSchema } from '../schemas/common.ts';
import { problemSchema } from '../schemas/problem.ts';
import {
  contactCheckQuerySchema,
  contactDecisionSchema,
  customerCardSchema,
  customerListSchema,
  customerPathSchema,
  listCustomersQuerySchema,
  timelineQuerySchema,
  updateCustomerSchema,
} from '../schemas/customer.ts';
import { customerViewSchema, timelinePageSchema } from '../schemas/customer-view.ts';
import { linkIdentifierSchema, lookupQuerySchema } from '../schemas/identifier-requests.ts';
import { preferencesInputSchema, preferencesResultSchema } from '../schemas/preferences.ts';
import {
  candidatePathSchema,
  candidatesQuerySchema,
  dismissedCandidateSchema,
  identifierListSchema,
  identifierPathSchema,
  linkedIdentifierSchema,
  mergeCandidatePageSchema,
  mergeIdSchema,
  mergeRecordSchema,
  mergeRequestSchema,
  moveTouchpointSchema,
  touchpointPathSchema,
  undoRequestSchema,
} from '../schemas/identity.ts';
import { batchInputSchema, ingestReceiptSchema, ingestResultSchema, maxBatchItems, touchpointInputSchema } from '../schemas/touchpoint.ts';
import {
  apiKeyListSchema,
  apiKeySchema,
  createApiKeySchema,
  createdApiKeySchema,
  keyPathSchema,
  listApiKeysQuerySchema,
  replayedApiKeySchema,
} from '../schemas/api-key.ts';
import {
  accessLogPageSchema,
  accessLogQuerySchema,
  eraseQuerySchema,
  eraseResultSchema,
  exportPageSchema,
  exportQuerySchema,
  suppressionPathSchema,
} from '../schemas/privacy.ts';
import { maxBodyBytes } from './api-handler.ts';
import { routes } from './routes.ts';

/** Connectors' webhooks take the vendors' payloads, documented in docs/connectors.md, not the API's. */
export const documentedRoutes = routes.filter((route) => route.access !== 'connector');
type FunctionName = Exclude<(typeof routes)[number], { access: 'connector' }>['functionName'];

const problemContent = { 'application/problem+json': { schema: problemSchema } };

const json = (schema: z.ZodMiniType, description: string, example?: unknown): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
const problemResponse = (description: string): ZodOpenApiResponseObject => ({ description, content: problemContent });

const retryAfter = (required: boolean) =>
  z.partial(
    z.object({
      'Retry-After': z.withMeta(z.string().check(z.regex(/^\d+$/)), { description: 'Seconds to wait before retrying', example: '1' }),
    }),
    required ? {} : { 'Retry-After': true },
  );

/** What API Gateway itself answers (throttled, or refused by the authorizer) in the deployed API. */
const gatewayMessage = { 'application/json': { schema: z.withMeta(z.object({ message: z.string() }), { id: 'GatewayMessage' }) } };

/** What every route can answer whatever it does. */
const commonResponses: Record<string, ZodOpenApiResponseObject> = {
  '422': problemResponse('Invalid path or query parameters, or a query parameter the route does not take: `errors` names each one'),
  '429': {
    description:
      'Throttled by API Gateway (the deployed API only): back off and retry. The gateway sends `{"message":"Too Many Requests"}` and no Retry-After; wait a second or more, growing.',
    headers: retryAfter(false),
    content: gatewayMessage,
  },
  '503': {
    description: 'The database throttled or the request ran out of time: retry after Retry-After seconds with the same Idempotency-Key',
    headers: retryAfter(true),
    content: problemContent,
  },
  default: problemResponse('Any other failure (500 internal-error with a requestId to quote)'),
};

const authResponses: Record<string, ZodOpenApiResponseObject> = {
  '401': {
    description: 'No Authorization header. Send `Authorization: Bearer <API key or token>` (the word Bearer, a space, then the key).',
    headers: z.partial(z.object({ 'WWW-Authenticate': z.withMeta(z.literal('Bearer'), { description: 'The scheme to use' }) })),
    content: { ...problemContent, ...gatewayMessage },
  },
  '403': {
    description:
      "The credential is refused: unknown, revoked or expired, without the `Bearer ` prefix, or without the route's scope. " +
      'The local server answers a problem naming a missing prefix; the deployed gateway answers `{"message":"Forbidden"}`.',
    content: { ...problemContent, ...gatewayMessage },
  },
};

const bodyProblems: Record<string, ZodOpenApiResponseObject> = {
  '400': problemResponse('Malformed JSON, or JSON this API refuses (duplicate keys, nesting deeper than 64, lone surrogates)'),
  '413': problemResponse(`Body over ${maxBodyBytes / 1024} KB`),
  '415': problemResponse('Content-Type is not application/json'),
  '422': problemResponse('Invalid fields; nothing was stored. `errors` names each field ("is required" for a missing one)'),
};
const parameterProblem = { '422': problemResponse('Invalid path or query parameters: `errors` names each one') };
const cursorProblem = { '400': problemResponse('A cursor this API did not issue for this list and request') };

const webBatchExample = {
  items: [
    {
      channel: 'web_visit',
      identifiers: { anonymousId: 'anon_8f14e45fceea167a' },
      idempotencyKey: 'tp-8f14e45fceea167a-1',
      details: { url: 'https://shop.example.com/pricing', title: 'Pricing' },
    },
  ],
};
const publicKeyQuery = z.object({
  key: z.withMeta(z.string(), { description: "The site's public key (kind public): a page cannot send an Authorization header with sendBeacon" }),
});
const webHeaders = z.object({
  origin: z.withMeta(z.string(), { description: "Set by the browser; must be one of the public key's allowed origins" }),
  'sec-gpc': z.withMeta(z.optional(z.string()), { description: 'Global Privacy Control: 1 refuses the request and records nothing' }),
});
const idempotencyHeader = z.withMeta(z.optional(z.string()), {
  description: 'Makes a retry safe: a replay with the same key answers the first result and stores nothing more',
  example: 'call-4711-1',
});

const jsonBody = (schema: z.ZodMiniType, example: unknown, required = true) => ({
  required,
  content: { 'application/json': { schema, example } },
});

const exampleCustomerId = 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB';
const exampleTouchpointId = 'tp_01JDQ7ZM4W9C2E5H8K1N3Q6T9V';
const exampleMergeId = 'mrg_01JDQ80B7W3YQ5K8N2M4P6R8TC';

const callExample = {
  channel: 'call',
  identifiers: { phone: '+44 20 7946 0018' },
  occurredAt: '2026-11-23T09:15:00+01:00',
  summary: 'Asked about a refund',
  details: { direction: 'inbound', durationSeconds: 312, outcome: 'answered', agentId: 'agent-17', queue: 'billing' },
};
const ingestResultExample = { touchpointId: exampleTouchpointId, customerId: exampleCustomerId, customerCreated: false, replayed: false };
const mergeRecordExample = {
  mergeId: exampleMergeId,
  kind: 'merge',
  targetCustomerId: exampleCustomerId,
  sourceCustomerId: 'cus_01JDQ7ZP2A4C6E8G0J2K4N6Q8S',
  reason: 'Same person, confirmed on the phone',
  actor: 'agent-17',
  status: 'completed',
  createdAt: '2026-11-23T09:20:00.000Z',
  completedAt: '2026-11-23T09:20:01.000Z',
  undoneAt: null,
  undoneBy: null,
  movedIdentifiers: [{ type: 'email', value: 'ada@example.com' }],
  identifierStates: [
    {
      identifier: { type: 'email', value: 'ada@example.com' },
      before: { customerId: 'cus_01JDQ7ZP2A4C6E8G0J2K4N6Q8S', sharedWith: [] },
      after: { customerId: exampleCustomerId, sharedWith: [] },
    },
  ],
  movedTouchpointCount: 3,
  touchpointId: null,
};

interface OperationDoc extends Omit<ZodOpenApiOperationObject, 'summary' | 'operationId' | 'tags' | 'description'> {
  tag: Tag;
  description: string;
}

/** Request and response schemas per function: the same zod schemas the handlers validate with. */
const operations: Record<FunctionName, OperationDoc> = {
  'check-health': {
    tag: 'Meta',
    description: 'Answers 200 while the API runs. No credential needed.',
    responses: { '200': json(z.withMeta(z.object({ status: z.literal('ok') }), { id: 'Health' }), 'Alive', { status: 'ok' }) },
  },
  'get-openapi': {
    tag: 'Meta',
    description: 'This document, as served by the running API: generate clients from it.',
    responses: { '200': json(z.withMeta(z.record(z.string(), z.unknown()), { id: 'OpenApiDocument' }), 'This document') },
  },
  'ingest-touchpoint': {
    tag: 'Touchpoints',
    description:
      'Records one contact on the timeline of the customer its identifiers recognise (a new customer when none does). ' +
      'Required fields differ per channel (see TouchpointInput: call needs details.direction and durationSeconds, email needs ' +
      'direction, messageId, subject, from and to, invoice_query needs invoiceNumber and status, web_visit needs url). ' +
      '`occurredAt` needs a UTC offset (`Z` or `+01:00`). The credential must hold the write scope of the channel.',
    requestParams: { header: z.object({ 'idempotency-key': idempotencyHeader }) },
    requestBody: jsonBody(touchpointInputSchema, callExample),
    responses: {
      '201': json(ingestResultSchema, 'Recorded (a client holding customers:read)', ingestResultExample),
      '200': json(ingestResultSchema, 'A replay of an earlier request with the same Idempotency-Key (a client holding customers:read)', {
        ...ingestResultExample,
        replayed: true,
      }),
      '202': json(ingestReceiptSchema, 'Accepted, the answer to every touchpoint of a write-only client (no customers:read), replays included', {
        touchpointId: exampleTouchpointId,
      }),
      '409': problemResponse('The Idempotency-Key was used for a different body; or (customers:read only) an identifier is suppressed and nothing was stored'),
      ...bodyProblems,
    },
  },
  'ingest-touchpoint-batch': {
    tag: 'Touchpoints',
    description:
      `Records up to ${maxBatchItems} touchpoints, each on its own: the answer is a 207 with one result per item, in order, ` +
      'each either the ingest result (status 200/201, or 202 for a write-only client) or the problem of that item alone.',
    requestParams: {
      header: z.object({
        'idempotency-key': z.withMeta(z.optional(z.string()), {
          description:
            'Covers the whole batch: sending the same batch again replays every recorded item and records those that failed; ' +
            'the same key with a different batch is a 409',
        }),
      }),
    },
    requestBody: jsonBody(batchInputSchema, { items: [callExample] }),
    responses: {
      '207': json(
        z.withMeta(
          z.object({
            results: z.array(
              z.union([
                z.withMeta(z.extend(ingestResultSchema, { status: z.union([z.literal(200), z.literal(201)]) }), { id: 'BatchIngestResult' }),
                z.withMeta(z.extend(ingestReceiptSchema, { status: z.literal(202) }), { id: 'BatchIngestReceipt' }),
                problemSchema,
              ]),
            ),
          }),
          { id: 'BatchResults' },
        ),
        'One result per item, in order: the ingest result (or, for a write-only client, the receipt) or the problem of that item alone',
        { results: [{ ...ingestResultExample, status: 201 }] },
      ),
      '409': problemResponse('The Idempotency-Key was used for a different batch; nothing was stored'),
      ...bodyProblems,
    },
  },
  'ingest-web-touchpoints': {
    tag: 'Touchpoints',
    description:
      "The website snippet's route: a batch of web visits sent from a browser with a public key (kind public) from one of the " +
      'origins the key is bound to. The key goes in the query (sendBeacon cannot send an Authorization header); the body is the ' +
      "batch route's, as JSON or as text/plain (which a beacon sends without a preflight). Each accepted item answers a receipt " +
      'only: a public key reads nothing about customers.',
    requestParams: { query: publicKeyQuery, header: webHeaders },
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: batchInputSchema, example: webBatchExample },
        // The same JSON, as sendBeacon sends it.
        'text/plain': { schema: batchInputSchema, example: webBatchExample },
      },
    },
    responses: {
      '207': json(
        z.withMeta(z.object({ results: z.array(z.union([z.extend(ingestReceiptSchema, { status: z.literal(202) }), problemSchema])) }), {
          id: 'WebBatchResults',
        }),
        'One receipt or problem per item, in order; CORS headers for the Origin',
      ),
      '401': problemResponse('No public key in the key query parameter'),
      '403': problemResponse('Not a live public key, no Origin or one the key is not bound to (no CORS headers), or Sec-GPC: 1 (nothing recorded)'),
      '429': {
        description:
          "The key's or the visitor's rate limit was reached (a problem with Retry-After), or API Gateway's throttle of the web route " +
          '(`{"message":"Too Many Requests"}`, no Retry-After)',
        headers: retryAfter(false),
        content: { ...problemContent, ...gatewayMessage },
      },
      ...bodyProblems,
    },
  },
  'answer-web-preflight': {
    tag: 'Touchpoints',
    description: 'The CORS preflight of the web route, answered only for an Origin the public key is bound to.',
    requestParams: { query: publicKeyQuery },
    responses: {
      '204': { description: 'CORS preflight answered for an Origin the key is bound to (Access-Control-Allow-Origin names it; Vary: Origin)' },
      '401': problemResponse('No public key in the key query parameter'),
      '403': problemResponse('Not a live public key, or an Origin it is not bound to: no CORS headers'),
    },
  },
  'lookup-customer': {
    tag: 'Customers',
    description:
      'Recognises a customer by exactly one identifier, as a screen pop does when the phone rings: the customer, a summary and the ' +
      '10 most recent touchpoints. A shared identifier (a household landline) answers 300 with the candidates instead of guessing.',
    requestParams: { query: lookupQuerySchema },
    responses: {
      '200': json(customerViewSchema, 'The customer, a summary and the 10 most recent touchpoints'),
      '300': json(
        z.withMeta(
          z.object({
            detail: z.string(),
            candidates: z.array(
              z.object({
                customerId: customerIdSchema,
                displayName: z.nullable(z.string()),
                matchedBy: z.object({ type: z.string(), value: z.string(), shared: z.literal(true) }),
                lastContact: customerViewSchema.shape.summary.shape.lastContact,
              }),
            ),
          }),
          { id: 'LookupCandidates' },
        ),
        'The identifier is shared by several customers: choose one (most recently in contact first)',
        {
          detail: 'This phone is shared by several customers; choose one.',
          candidates: [
            {
              customerId: exampleCustomerId,
              displayName: 'Ada Lovelace',
              matchedBy: { type: 'phone', value: '+442079460018', shared: true },
              lastContact: null,
            },
          ],
        },
      ),
      '404': problemResponse('No customer has this identifier'),
      '422': problemResponse('Not exactly one valid identifier'),
    },
  },
  'get-customer': {
    tag: 'Customers',
    description: 'The customer with identifiers, summary, recognition card and recent touchpoints; a merged-away id answers its survivor (redirectedFrom).',
    requestParams: { path: customerPathSchema },
    responses: {
      '200': json(customerViewSchema, 'The customer, a summary and the 10 most recent touchpoints'),
      '404': problemResponse('Unknown customer'),
      ...parameterProblem,
    },
  },
  'get-timeline': {
    tag: 'Customers',
    description: 'Every touchpoint of the customer, newest first, paged by nextCursor; filter by channels and a time range.',
    requestParams: { path: customerPathSchema, query: timelineQuerySchema },
    responses: {
      '200': json(timelinePageSchema, 'A page of touchpoints, newest first'),
      '404': problemResponse('Unknown customer'),
      ...cursorProblem,
      '422': problemResponse('Invalid filter'),
    },
  },
  'list-customers': {
    tag: 'Customers',
    description:
      "A value tier's customers with their cards, paged by nextCursor: the most recent day (UTC) of last contact first, and within a day the newest customer first (by customerId, descending).",
    requestParams: { query: listCustomersQuerySchema },
    responses: {
      '200': json(customerListSchema, "A page of the tier's customers with their cards"),
      ...cursorProblem,
      '422': problemResponse('Unknown tier or bad limit'),
    },
  },
  'update-customer': {
    tag: 'Customers',
    description: 'Sets the display name and traits (flat scalar values; null removes one). Traits not named are kept.',
    requestParams: { path: customerPathSchema },
    requestBody: jsonBody(updateCustomerSchema, { displayName: 'Ada Lovelace', traits: { plan: 'gold', vip: true } }),
    responses: {
      '200': json(customerCardSchema, 'The updated card'),
      '404': problemResponse('Unknown customer'),
      ...bodyProblems,
    },
  },
  'set-preferences': {
    tag: 'Customers',
    description:
      'Records what the customer told us about being contacted (channels, preferred channel, quiet hours, per-address permissions) ' +
      'as a touchpoint of the channel it came by (`receivedVia`, required). Fields left out are stated as not given.',
    requestParams: { path: customerPathSchema, header: z.object({ 'idempotency-key': idempotencyHeader }) },
    requestBody: jsonBody(preferencesInputSchema, {
      receivedVia: 'call',
      channels: { sms: 'opted_out' },
      preferredChannel: 'email',
      quietHours: { start: '21:00', end: '08:00', timeZone: 'Europe/London' },
    }),
    responses: {
      '200': json(
        preferencesResultSchema,
        'Recorded, with the touchpoint that records the change (on the survivor for a merged-away id); a retry with the same Idempotency-Key answers the same',
      ),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('The Idempotency-Key was used for a different request'),
      ...bodyProblems,
    },
  },
  'check-contact': {
    tag: 'Customers',
    description:
      'Whether we may contact the customer now on a contact channel (phone, email, sms, mail; the touchpoint channels call and letter ' +
      'are taken as phone and mail), and every reason why not: opt-outs, marketing consent, quiet hours.',
    requestParams: { path: customerPathSchema, query: contactCheckQuerySchema },
    responses: {
      '200': json(contactDecisionSchema, 'Whether we may contact them now, and every reason why not', {
        customerId: exampleCustomerId,
        channel: 'phone',
        purpose: 'service',
        at: '2026-11-23T09:15:00.000Z',
        allowed: true,
        reasons: [],
        usableIdentifiers: [{ type: 'phone', value: '+442079460018' }],
      }),
      '422': problemResponse('Not a contact channel, or a time without a UTC offset'),
    },
  },
  'list-identifiers': {
    tag: 'Identity',
    description: 'Every identifier of the customer with its provenance: which touchpoint, system, rule or person attached it.',
    requestParams: { path: customerPathSchema },
    responses: {
      '200': json(identifierListSchema, 'Identifiers with provenance'),
      '404': problemResponse('Unknown customer'),
      ...parameterProblem,
    },
  },
  'link-identifier': {
    tag: 'Identity',
    description: 'Links an identifier to the customer; `shared: true` for a household phone or family mailbox another customer also uses.',
    requestParams: { path: customerPathSchema },
    requestBody: jsonBody(linkIdentifierSchema, { type: 'email', value: 'ada@example.com', requestedBy: 'agent-17' }),
    responses: {
      '201': json(linkedIdentifierSchema, 'Linked (or already linked: the link as first made)'),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('The identifier belongs to another customer, named in `customerId`'),
      ...bodyProblems,
    },
  },
  'unlink-identifier': {
    tag: 'Identity',
    description: 'Removes an identifier from the customer: it no longer recognises them.',
    requestParams: { path: identifierPathSchema },
    responses: {
      '204': { description: 'Removed' },
      '404': problemResponse('Not an identifier of this customer'),
      '409': problemResponse('The customer was merged into another, named in `mergedInto`: unlink from the survivor'),
      ...parameterProblem,
    },
  },
  'merge-customers': {
    tag: 'Identity',
    description:
      'Merges the source customer into this one: identifiers and touchpoints move, the source id then answers with this customer. ' +
      '`reason` is required; the merge is undone by its mergeId.',
    requestParams: { path: customerPathSchema },
    requestBody: jsonBody(mergeRequestSchema, {
      sourceCustomerId: 'cus_01JDQ7ZP2A4C6E8G0J2K4N6Q8S',
      reason: 'Same person, confirmed on the phone',
      requestedBy: 'agent-17',
    }),
    responses: {
      '201': json(mergeRecordSchema, 'Merged: every identifier of both resolves to this customer', mergeRecordExample),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('One of them was already merged away (mergedInto, mergeId), or is busy; or together they hold too many identifiers'),
      ...bodyProblems,
    },
  },
  'undo-merge': {
    tag: 'Identity',
    description:
      'Undoes a merge (both customers back as they were) or a touchpoint move (the touchpoint back on its customer), by the mergeId ' +
      'either answered. The body is optional: no body, `{}`, or a reason.',
    requestParams: { path: z.object({ mergeId: mergeIdSchema }) },
    requestBody: jsonBody(undoRequestSchema, { reason: 'Two people after all' }, false),
    responses: {
      '200': json(mergeRecordSchema, 'Undone: both customers as they were'),
      '404': problemResponse('Unknown merge'),
      '409': problemResponse('Still running, or a later merge must be undone first (blockingMergeId)'),
      ...bodyProblems,
    },
  },
  'list-merges': {
    tag: 'Identity',
    description: "The customer's merges and touchpoint moves: who, when, why, what moved.",
    requestParams: { path: customerPathSchema },
    responses: {
      '200': json(z.withMeta(z.object({ customerId: customerIdSchema, items: z.array(mergeRecordSchema) }), { id: 'MergeList' }), 'Who, when, why, what moved'),
      '404': problemResponse('Unknown customer'),
      ...parameterProblem,
    },
  },
  'list-merge-candidates': {
    tag: 'Identity',
    description: 'Pairs of customers that claim one identifier, newest first, for staff to merge or dismiss.',
    requestParams: { query: candidatesQuerySchema },
    responses: { '200': json(mergeCandidatePageSchema, 'Open merge candidates, newest first'), ...cursorProblem, ...parameterProblem },
  },
  'dismiss-merge-candidate': {
    tag: 'Identity',
    description: 'Dismisses a merge candidate: they are different people. No body is needed; an empty object is taken too.',
    requestParams: { path: candidatePathSchema },
    requestBody: jsonBody(z.withMeta(z.strictObject({}), { id: 'NoFields' }), {}, false),
    responses: { '200': json(dismissedCandidateSchema, 'Dismissed'), '404': problemResponse('Unknown candidate') },
  },
  'move-touchpoint': {
    tag: 'Identity',
    description:
      'Moves one touchpoint to another customer (an ambiguous match corrected), audited like a merge: the answer is a record of ' +
      'kind move, listed with the merges and undone by its mergeId. `reason` is required.',
    requestParams: { path: touchpointPathSchema },
    requestBody: jsonBody(moveTouchpointSchema, { customerId: exampleCustomerId, reason: 'The caller was the other one' }),
    responses: {
      '200': json(mergeRecordSchema, 'Moved, with the audit record'),
      '404': problemResponse('Unknown touchpoint or customer'),
      '409': problemResponse('The touchpoint is on that customer already'),
      ...bodyProblems,
    },
  },
  'create-api-key': {
    tag: 'Keys',
    description: 'Creates an API key for a system: the key is in this answer only (stored as a hash). Its name is the `source` of what it posts.',
    requestParams: {
      header: z.object({
        'idempotency-key': z.withMeta(z.optional(z.string()), {
          description: 'A retry with the same key answers 200 with the key it made, without the key itself (stored only as a hash)',
        }),
      }),
    },
    requestBody: jsonBody(createApiKeySchema, { name: 'billing', scopes: ['touchpoints:write:invoice_query', 'customers:read'] }),
    responses: {
      '201': json(createdApiKeySchema, 'Created: the key is in this answer only'),
      '200': json(replayedApiKeySchema, 'A retry with the Idempotency-Key of a creation that committed'),
      '409': problemResponse('The name belongs to another key (send "replaces" to rotate it), or the Idempotency-Key was used for another request'),
      ...bodyProblems,
    },
  },
  'list-api-keys': {
    tag: 'Keys',
    description: 'Every API key, oldest first, paged: names, scopes, prefixes and revocations, never the keys.',
    requestParams: { query: listApiKeysQuerySchema },
    responses: { '200': json(apiKeyListSchema, 'A page of keys, oldest first'), ...cursorProblem, '422': problemResponse('Bad limit') },
  },
  'revoke-api-key': {
    tag: 'Keys',
    description: 'Revokes a key; requests with it are refused within the authorizer cache time (60 s deployed).',
    requestParams: { path: keyPathSchema },
    responses: {
      '200': json(apiKeySchema, 'Revoked; revoking it again answers the same (the first revocation is kept)'),
      '404': problemResponse('Unknown key'),
      ...parameterProblem,
    },
  },
  'erase-customer': {
    tag: 'Privacy',
    description:
      'Erases everything held about the customer and those merged into it. suppress=true keeps keyed hashes of the identifiers so ' +
      'that touchpoints carrying them are refused from then on. A 202 means repeat the request to finish.',
    requestParams: { path: customerPathSchema, query: eraseQuerySchema },
    responses: {
      '200': json(eraseResultSchema, 'Erased'),
      '202': json(eraseResultSchema, 'Partly erased before the time ran out: repeat the request to finish'),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('A merge of the customer is being undone: finish the undo, then erase'),
      ...parameterProblem,
    },
  },
  'export-customer': {
    tag: 'Privacy',
    description: 'Everything held about the customer as one JSON document (a subject access request), paged for long histories.',
    requestParams: { path: customerPathSchema, query: exportQuerySchema },
    responses: {
      '200': json(exportPageSchema, 'One page of everything held about the customer'),
      ...cursorProblem,
      '404': problemResponse('Unknown customer'),
      ...parameterProblem,
    },
  },
  'get-access-log': {
    tag: 'Privacy',
    description: "Who read the customer's data, when and by which route, newest first.",
    requestParams: { path: customerPathSchema, query: accessLogQuerySchema },
    responses: {
      '200': json(accessLogPageSchema, 'Reads of the customer, newest first'),
      ...cursorProblem,
      '404': problemResponse('Unknown customer'),
      ...parameterProblem,
    },
  },
  'lift-suppression': {
    tag: 'Privacy',
    description: "Lifts the suppression of an erased customer's identifier (by the hash the erase answered): touchpoints carrying it are accepted again.",
    requestParams: { path: suppressionPathSchema },
    responses: {
      '204': { description: 'No suppression has this hash now (lifted by this request or an earlier one): touchpoints carrying the identifier are accepted' },
      ...parameterProblem,
    },
  },
};

const tags = {
  Touchpoints: 'Recording contacts from every channel',
  Customers: 'Recognising customers and reading their timeline, card and contact permissions',
  Identity: 'Identifiers, merges, moves and merge candidates',
  Keys: 'API keys for the systems that call this API',
  Privacy: 'Export, access log, erasure and suppressions',
  Meta: 'Health and this document',
} as const;
type Tag = keyof typeof tags;

/** The scopes a route's access needs, as `x-required-scopes` names them. */
function scopesOf(access: RouteAccess): string[] {
  if (access === 'public' || access === 'public-key' || access === 'authenticated') return [];
  if (access === 'touchpoints:write') return ['touchpoints:write:<channel>', 'touchpoints:write:*'];
  return [access];
}

function accessNote(access: RouteAccess): string {
  if (access === 'public') return 'No credential needed.';
  if (access === 'public-key') return 'Needs a public key (kind public) in the `key` query parameter, from one of its allowed origins.';
  if (access === 'authenticated') return 'Needs any valid credential.';
  if (access === 'touchpoints:write') return "Needs the write scope of each touchpoint's channel (touchpoints:write:<channel>, or touchpoints:write:*).";
  return `Needs scope \`${access}\`.`;
}

/**
 * The document says what a client must send. zod fills defaults as it parses, and the generated
 * schema carries them as `default`; openapi-typescript then makes every such field required, in
 * requests too. So a request schema keeps no `default` (its description says it), and `source`,
 * which the handler fills from the credential before parsing, is optional to the client.
 */
function requestsAsClientsSendThem({ jsonSchema, zodSchema, io }: ZodOpenApiOverrideContext): void {
  if (io !== 'input') return;
  if ('default' in jsonSchema) {
    const note = `Default: ${JSON.stringify(jsonSchema.default)}.`;
    if (!jsonSchema.description?.includes('default')) jsonSchema.description = jsonSchema.description ? `${jsonSchema.description}. ${note}` : note;
    delete jsonSchema.default;
  }
  const shape = (zodSchema as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def.shape;
  if (shape?.source === credentialSource && Array.isArray(jsonSchema.required)) {
    jsonSchema.required = jsonSchema.required.filter((name) => name !== 'source');
  }
}

let document: ReturnType<typeof createDocument> | undefined;

export function openApiDocument() {
  document ??= createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Touchpoint API',
        version: '1.0.0',
        description:
          'One timeline per customer across every channel, recognised at every touchpoint. Every route but /v1/health needs ' +
          '`Authorization: Bearer <API key or OIDC token>` (401 without, 403 when the credential is refused or lacks the ' +
          "route's scope, named per operation in `x-required-scopes`). A touchpoint's `source` is the credential's name; it may be " +
          'left out of the body. Errors are RFC 9457 problem documents (application/problem+json) whose `type` is listed in Problem.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
        contact: { name: 'Touchpoint API team', url: 'https://github.com/touchpoint-api' },
      },
      servers: [
        { url: 'http://127.0.0.1:3000', description: 'npm start (DynamoDB Local; PORT moves it)' },
        {
          url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
          description: 'A deployed stack (the ApiUrl output of cdk deploy)',
          variables: { apiId: { default: 'abc123defg', description: 'The HTTP API id' }, region: { default: 'eu-west-2', description: 'The AWS region' } },
        },
      ],
      tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key or an OIDC access token' } } },
      security: [{ bearer: [] }],
      paths: documentedRoutes.reduce<ZodOpenApiPathsObject>((paths, route) => {
        const { tag, description, responses, ...rest } = operations[route.functionName];
        // Routes API Gateway lets through without the authorizer check their own credential, if any.
        const isPublic = !usesAuthorizer(route.access);
        const operation: ZodOpenApiOperationObject = {
          ...rest,
          operationId: route.functionName,
          summary: route.summary,
          description: `${description}\n\n${accessNote(route.access)}`,
          tags: [tag],
          security: isPublic ? [] : [{ bearer: [] }],
          ...(isPublic ? {} : { 'x-required-scopes': scopesOf(route.access) }),
          // An operation's own description of a status (the web route's 429) is more precise than the common one.
          responses: { ...(isPublic ? {} : authResponses), ...commonResponses, ...responses },
        };
        paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
        return paths;
      }, {}),
    },
    { override: requestsAsClientsSendThem },
  );
  return document;
}
