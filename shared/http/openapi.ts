import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import {
  contactCheckQuerySchema,
  contactDecisionSchema,
  customerCardSchema,
  customerListSchema,
  customerPathSchema,
  customerViewSchema,
  listCustomersQuerySchema,
  lookupQuerySchema,
  preferencesInputSchema,
  preferencesResultSchema,
  timelinePageSchema,
  timelineQuerySchema,
  updateCustomerSchema,
} from '../schemas/customer.ts';
import {
  candidatesQuerySchema,
  identifierPathSchema,
  linkIdentifierSchema,
  mergeIdSchema,
  mergeRecordSchema,
  mergeRequestSchema,
  moveTouchpointSchema,
  undoRequestSchema,
} from '../schemas/identity.ts';
import { batchInputSchema, ingestReceiptSchema, ingestResultSchema, touchpointInputSchema } from '../schemas/touchpoint.ts';
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
const apiRoutes = routes.filter((route) => route.access !== 'connector');
type FunctionName = Exclude<(typeof routes)[number], { access: 'connector' }>['functionName'];

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const bodyProblems = {
  '400': problemResponse('Malformed JSON'),
  '413': problemResponse(`Body over ${maxBodyBytes / 1024} KB`),
  '415': problemResponse('Content type is not JSON'),
  '422': problemResponse('Invalid fields; nothing was stored'),
  '503': problemResponse('DynamoDB throttled; retry after Retry-After seconds with the same Idempotency-Key'),
};
const idempotencyHeader = z.string().optional().meta({ description: 'Replays with the same key return the first result' });

/** Request and response schemas per function: the same zod schemas the handlers validate with. */
const operations: Record<FunctionName, Omit<ZodOpenApiOperationObject, 'summary' | 'operationId'>> = {
  'check-health': { responses: { '200': json(z.object({ status: z.literal('ok') }), 'Alive') } },
  'get-openapi': { responses: { '200': json(z.record(z.string(), z.unknown()), 'This document') } },
  'ingest-touchpoint': {
    requestParams: { header: z.object({ 'idempotency-key': idempotencyHeader }) },
    requestBody: { content: { 'application/json': { schema: touchpointInputSchema } } },
    responses: {
      '201': json(ingestResultSchema, 'Recorded (a client holding customers:read)'),
      '200': json(ingestResultSchema, 'A replay of an earlier request with the same Idempotency-Key (a client holding customers:read)'),
      '202': json(
        ingestReceiptSchema,
        'Accepted, the answer to every touchpoint of a write-only client (no customers:read), replays included',
      ),
      '403': problemResponse('The credential may not post this channel, or names another source'),
      '409': problemResponse(
        'The Idempotency-Key was used for a different body; or (customers:read only) an identifier is suppressed and nothing was stored',
      ),
      ...bodyProblems,
    },
  },
  'ingest-touchpoint-batch': {
    requestParams: {
      header: z.object({
        'idempotency-key': z.string().optional().meta({
          description:
            'Covers the whole batch: sending the same batch again replays every recorded item and records those that failed; ' +
            'the same key with a different batch is a 409',
        }),
      }),
    },
    requestBody: { content: { 'application/json': { schema: batchInputSchema } } },
    responses: {
      '207': json(
        z.object({
          results: z.array(
            z.union([
              ingestResultSchema.extend({ status: z.union([z.literal(200), z.literal(201)]) }).meta({ id: 'BatchIngestResult' }),
              ingestReceiptSchema.extend({ status: z.literal(202) }).meta({ id: 'BatchIngestReceipt' }),
              problemSchema,
            ]),
          ),
        }),
        'One result per item, in order: the ingest result (or, for a write-only client, the receipt) or the problem of that item alone',
      ),
      '409': problemResponse('The Idempotency-Key was used for a different batch; nothing was stored'),
      ...bodyProblems,
    },
  },
  'lookup-customer': {
    requestParams: { query: lookupQuerySchema },
    responses: {
      '200': json(customerViewSchema, 'The customer, a summary and the 10 most recent touchpoints'),
      '404': problemResponse('No customer has this identifier'),
      '422': problemResponse('Not exactly one valid identifier'),
    },
  },
  'get-customer': {
    requestParams: { path: customerPathSchema },
    responses: {
      '200': json(customerViewSchema, 'The customer, a summary and the 10 most recent touchpoints'),
      '404': problemResponse('Unknown customer'),
    },
  },
  'get-timeline': {
    requestParams: { path: customerPathSchema, query: timelineQuerySchema },
    responses: {
      '200': json(timelinePageSchema, 'A page of touchpoints, newest first'),
      '404': problemResponse('Unknown customer'),
      '400': problemResponse('A cursor this API did not issue for this list and request'),
      '422': problemResponse('Invalid filter'),
    },
  },
  'list-customers': {
    requestParams: { query: listCustomersQuerySchema },
    responses: {
      '200': json(customerListSchema, "A page of the tier's customers with their cards"),
      '400': problemResponse('A cursor this API did not issue for this list and request'),
      '422': problemResponse('Unknown tier'),
    },
  },
  'update-customer': {
    requestParams: { path: customerPathSchema },
    requestBody: { content: { 'application/json': { schema: updateCustomerSchema } } },
    responses: {
      '200': json(customerCardSchema, 'The updated card'),
      '404': problemResponse('Unknown customer'),
      ...bodyProblems,
    },
  },
  'set-preferences': {
    requestParams: { path: customerPathSchema, header: z.object({ 'idempotency-key': idempotencyHeader }) },
    requestBody: { content: { 'application/json': { schema: preferencesInputSchema } } },
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
  'list-identifiers': {
    requestParams: { path: customerPathSchema },
    responses: {
      '200': json(
        z.object({
          customerId: z.string(),
          identifiers: z.array(
            z.object({ type: z.string(), value: z.string(), shared: z.boolean(), provenance: z.record(z.string(), z.unknown()) }),
          ),
        }),
        'Identifiers with provenance',
      ),
      '404': problemResponse('Unknown customer'),
    },
  },
  'link-identifier': {
    requestParams: { path: customerPathSchema },
    requestBody: { content: { 'application/json': { schema: linkIdentifierSchema } } },
    responses: {
      '201': json(z.record(z.string(), z.unknown()), 'Linked (or already linked)'),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('The identifier belongs to another customer, named in `customerId`'),
      ...bodyProblems,
    },
  },
  'unlink-identifier': {
    requestParams: { path: identifierPathSchema },
    responses: { '204': { description: 'Removed' }, '404': problemResponse('Not an identifier of this customer') },
  },
  'merge-customers': {
    requestParams: { path: customerPathSchema },
    requestBody: { content: { 'application/json': { schema: mergeRequestSchema } } },
    responses: {
      '201': json(mergeRecordSchema, 'Merged: every identifier of both resolves to this customer'),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('One of them was already merged away'),
      ...bodyProblems,
    },
  },
  'undo-merge': {
    requestParams: { path: z.object({ mergeId: mergeIdSchema }) },
    requestBody: { content: { 'application/json': { schema: undoRequestSchema } } },
    responses: {
      '200': json(mergeRecordSchema, 'Undone: both customers as they were'),
      '404': problemResponse('Unknown merge'),
      '409': problemResponse('Already undone, still running, or a later merge must be undone first (blockingMergeId)'),
    },
  },
  'list-merges': {
    requestParams: { path: customerPathSchema },
    responses: {
      '200': json(z.object({ customerId: z.string(), items: z.array(mergeRecordSchema) }), 'Who, when, why, what moved'),
      '404': problemResponse('Unknown customer'),
    },
  },
  'list-merge-candidates': {
    requestParams: { query: candidatesQuerySchema },
    responses: { '200': json(z.record(z.string(), z.unknown()), 'Open merge candidates, newest first'), '400': problemResponse('A cursor this API did not issue for this list and request') },
  },
  'dismiss-merge-candidate': {
    requestParams: { path: z.object({ candidateId: z.string() }) },
    responses: { '200': json(z.record(z.string(), z.unknown()), 'Dismissed'), '404': problemResponse('Unknown candidate') },
  },
  'move-touchpoint': {
    requestParams: { path: z.object({ touchpointId: z.string() }) },
    requestBody: { content: { 'application/json': { schema: moveTouchpointSchema } } },
    responses: {
      '200': json(mergeRecordSchema, 'Moved, with the audit record'),
      '404': problemResponse('Unknown touchpoint or customer'),
      ...bodyProblems,
    },
  },
  'check-contact': {
    requestParams: { path: customerPathSchema, query: contactCheckQuerySchema },
    responses: {
      '200': json(contactDecisionSchema, 'Whether we may contact them now, and every reason why not'),
      '422': problemResponse('Unknown channel or bad time'),
    },
  },
  'create-api-key': {
    requestParams: {
      header: z.object({
        'idempotency-key': z.string().optional().meta({
          description: 'A retry with the same key answers 200 with the key it made, without the key itself (stored only as a hash)',
        }),
      }),
    },
    requestBody: { content: { 'application/json': { schema: createApiKeySchema } } },
    responses: {
      '201': json(createdApiKeySchema, 'Created: the key is in this answer only'),
      '200': json(replayedApiKeySchema, 'A retry with the Idempotency-Key of a creation that committed'),
      '409': problemResponse('The name belongs to another key (send "replaces" to rotate it), or the Idempotency-Key was used for another request'),
      ...bodyProblems,
    },
  },
  'list-api-keys': {
    requestParams: { query: listApiKeysQuerySchema },
    responses: { '200': json(apiKeyListSchema, 'A page of keys, oldest first'), '400': problemResponse('A cursor this API did not issue for this list and request'), '422': problemResponse('Bad limit') },
  },
  'revoke-api-key': {
    requestParams: { path: keyPathSchema },
    responses: {
      '200': json(apiKeySchema, 'Revoked; revoking it again answers the same (the first revocation is kept)'),
      '404': problemResponse('Unknown key'),
    },
  },
  'erase-customer': {
    requestParams: { path: customerPathSchema, query: eraseQuerySchema },
    responses: {
      '200': json(eraseResultSchema, 'Erased'),
      '202': json(eraseResultSchema, 'Partly erased before the time ran out: repeat the request to finish'),
      '404': problemResponse('Unknown customer'),
      '409': problemResponse('A merge of the customer is being undone: finish the undo, then erase'),
    },
  },
  'export-customer': {
    requestParams: { path: customerPathSchema, query: exportQuerySchema },
    responses: {
      '200': json(exportPageSchema, 'One page of everything held about the customer'),
      '400': problemResponse('A cursor this API did not issue for this list and request'),
      '404': problemResponse('Unknown customer'),
    },
  },
  'get-access-log': {
    requestParams: { path: customerPathSchema, query: accessLogQuerySchema },
    responses: {
      '200': json(accessLogPageSchema, 'Reads of the customer, newest first'),
      '400': problemResponse('A cursor this API did not issue for this list and request'),
      '404': problemResponse('Unknown customer'),
    },
  },
  'lift-suppression': {
    requestParams: { path: suppressionPathSchema },
    responses: {
      '204': { description: 'No suppression has this hash now (lifted by this request or an earlier one): touchpoints carrying the identifier are accepted' },
    },
  },
};

let document: ReturnType<typeof createDocument> | undefined;

export function openApiDocument() {
  document ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Touchpoint API',
      version: '1.0.0',
      description:
        'One timeline per customer across every channel, recognised at every touchpoint. Every route but /v1/health needs ' +
        '`Authorization: Bearer <API key or OIDC token>` (401 without, 403 when the credential is refused or lacks the ' +
        "route's scope). A touchpoint's `source` is the credential's name; it may be left out of the body.",
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key or an OIDC access token' } } },
    security: [{ bearer: [] }],
    paths: apiRoutes.reduce<ZodOpenApiPathsObject>((paths, route) => {
      const operation = {
        ...operations[route.functionName],
        operationId: route.functionName,
        summary: route.summary,
        ...(route.access === 'public' ? { security: [] } : {}),
      };
      paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
      return paths;
    }, {}),
  });
  return document;
}
