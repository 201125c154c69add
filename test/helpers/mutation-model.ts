import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../shared/db/client.ts';
import fc from 'fast-check';
import { customerStore } from '../../shared/db/customer-store-instance.ts';
import { customerIdOfPartition } from '../../shared/db/keys.ts';
import { suppressionHash } from '../../shared/db/suppression.ts';
import { finishInterruptedMerges, mergeCutShortAfterMs } from '../../shared/domain/merge-customers.ts';
import { redactedMark } from '../../shared/privacy/redaction.ts';
import { newCustomerId } from '../../shared/domain/ids.ts';
import { uniquePhone } from '../fixtures/touchpoints.ts';
import { ensureTestTable, testTableName } from './dynamodb.ts';
import { findTraces } from './erased-traces.ts';
import { graphProblems, scanItems } from './identity-graph.ts';
import type { RouteAnswer, RouteRequest, RouteTransport } from './route-client.ts';

/**
 * A model-based test of every route that changes data. A run is a random sequence of groups; the
 * commands of a group (one to four) are sent at once, like staff tools, websites and call-centre
 * software acting on the same customers at the same moment. Commands name their targets loosely
 * (the n-th live customer, the m-th merge) and are resolved against the table as it stands when
 * the group starts, so every shrunk sequence still makes sense.
 *
 * After every group the whole table is scanned and checked, against what the API answered:
 * - no 500, and every answer one the route documents;
 * - the identity graph is sound (identity-graph.ts), nothing points at a customer that is gone,
 *   and nothing is stuck (identity locks, undos or merges in progress);
 * - no item anywhere holds an erased customer's id or the identifiers only it held;
 * - every touchpoint answered 2xx is stored exactly once (unless its customer was erased since),
 *   nothing answered 4xx or 503 "nothing was written" is stored, a 503 that says it may have
 *   landed is stored at most once;
 * - a group of one command that was refused (4xx) left the table exactly as it was;
 * - a lone command that succeeded did what it said (a merge merged, an erase erased...);
 * - suppressed identifiers are refused by ingest and link alike.
 * Every broken promise is a finding (a sentence); a run fails on its first group with findings.
 */

type Item = Record<string, unknown>;

export type PoolType = 'email' | 'phone' | 'anonymousId' | 'accountId' | 'invoiceNumber';
const poolTypes: PoolType[] = ['email', 'phone', 'anonymousId', 'accountId', 'invoiceNumber'];
/** Values per pool type: few, so that commands meet on the same identifiers. */
const poolSize = 3;

export interface PoolRef {
  type: PoolType;
  which: number;
}

/**
 * A customer picked by number at the start of the group: an even number picks among the live
 * customers, an odd one among every customer ever seen (merged away and erased ones included).
 */
type CustomerRef = number;

export interface IngestSpec {
  email?: number;
  phone?: number;
  /** A pool cookie, or (`fresh`) one never seen before, as a website sets for each new visitor. */
  cookie?: number | 'fresh';
  account?: number;
  /** An invoice query about a pool invoice number (names that are also JavaScript's own property names among them). */
  invoice?: number;
  /** `identifiers.customerId`: the strongest claim of all. */
  customer?: CustomerRef;
  keyed: boolean;
  minutesBefore: number;
}

export type Command =
  | { kind: 'ingest'; spec: IngestSpec }
  | { kind: 'batch'; items: IngestSpec[] }
  | { kind: 'link'; customer: CustomerRef; identifier: PoolRef; shared: boolean }
  /** `own`: one of the customer's own identifiers (as read at the group's start), else a pool value. */
  | { kind: 'unlink'; customer: CustomerRef; identifier: PoolRef; own: boolean }
  | { kind: 'merge'; target: CustomerRef; source: CustomerRef }
  | { kind: 'undo'; merge: number }
  | { kind: 'move'; touchpoint: number; customer: CustomerRef }
  | { kind: 'preferences'; customer: CustomerRef; email: 'opted_in' | 'opted_out'; permission?: PoolRef }
  | { kind: 'update'; customer: CustomerRef; trait: string }
  | { kind: 'erase'; customer: CustomerRef; suppress: boolean }
  | { kind: 'lift'; suppression: number }
  | { kind: 'dismiss'; candidate: number }
  /** Key administration: names from a small pool, so that two keys of one name meet. */
  | { kind: 'createKey'; name: number }
  | { kind: 'revokeKey'; key: number }
  /** Reads, whatever the mutations left: never a 500 (one stored string must not make a customer unreadable). */
  | { kind: 'read'; customer: CustomerRef; what: 'customer' | 'timeline' | 'identifiers' | 'merges' | 'export' | 'lookup'; identifier: PoolRef };

export type Group = Command[];

// ---------------------------------------------------------------------------------------------
// Arbitraries

const which = fc.nat({ max: poolSize - 1 });
const customerRef = fc.nat({ max: 15 });
const poolRef: fc.Arbitrary<PoolRef> = fc.record({ type: fc.constantFrom(...poolTypes), which });
const contactRef: fc.Arbitrary<PoolRef> = fc.record({ type: fc.constantFrom<PoolType>('email', 'phone'), which });

type IngestPart = 'email' | 'phone' | 'cookie' | 'account' | 'customer' | 'invoice';
const ingestParts: IngestPart[] = ['email', 'phone', 'cookie', 'account', 'customer', 'invoice'];

/** Mostly one or two identifiers, as real touchpoints carry; three now and then, to tie customers together. */
export const ingestSpecArbitrary: fc.Arbitrary<IngestSpec> = fc
  .record({
    parts: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ingestParts).map((part) => [part]) },
      { weight: 3, arbitrary: fc.uniqueArray(fc.constantFrom(...ingestParts), { minLength: 2, maxLength: 2 }) },
      { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...ingestParts), { minLength: 3, maxLength: 3 }) },
    ),
    email: which,
    phone: which,
    cookie: fc.oneof({ weight: 3, arbitrary: which }, { weight: 1, arbitrary: fc.constant('fresh' as const) }),
    account: which,
    invoice: which,
    customer: customerRef,
    keyed: fc.boolean(),
    minutesBefore: fc.integer({ min: 0, max: 600 }),
  })
  .map(({ parts, keyed, minutesBefore, ...values }) => {
    const spec: IngestSpec = { keyed, minutesBefore };
    for (const part of parts) Object.assign(spec, { [part]: values[part] });
    return spec;
  });

export const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: ingestSpecArbitrary.map((spec) => ({ kind: 'ingest' as const, spec })) },
  { weight: 1, arbitrary: fc.array(ingestSpecArbitrary, { minLength: 1, maxLength: 3 }).map((items) => ({ kind: 'batch' as const, items })) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('link' as const), customer: customerRef, identifier: poolRef, shared: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unlink' as const), customer: customerRef, identifier: poolRef, own: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('merge' as const), target: customerRef, source: customerRef }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), merge: fc.nat({ max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), touchpoint: fc.nat({ max: 15 }), customer: customerRef }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        kind: fc.constant('preferences' as const),
        customer: customerRef,
        email: fc.constantFrom('opted_in' as const, 'opted_out' as const),
        permission: contactRef,
      },
      { requiredKeys: ['kind', 'customer', 'email'] },
    ),
  },
  // Trait names a client might send, reserved words of DynamoDB's expression language among them.
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      customer: customerRef,
      trait: fc.constantFrom('segment', 'status', 'shared', 'name', 'size'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('erase' as const), customer: customerRef, suppress: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lift' as const), suppression: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dismiss' as const), candidate: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createKey' as const), name: fc.nat({ max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revokeKey' as const), key: fc.nat({ max: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      customer: customerRef,
      what: fc.constantFrom('customer' as const, 'timeline' as const, 'identifiers' as const, 'merges' as const, 'export' as const, 'lookup' as const),
      identifier: poolRef,
    }),
  },
);

/** Two or three first contacts to start from, then `steps` groups of one to `maxGroup` commands. */
export function runArbitrary(options: { minSteps: number; maxSteps: number; maxGroup: number }): fc.Arbitrary<Group[]> {
  const opening = fc.array(
    ingestSpecArbitrary.map((spec) => ({ kind: 'ingest' as const, spec })),
    { minLength: 2, maxLength: 3 },
  );
  const group = fc.array(commandArbitrary, { minLength: 1, maxLength: options.maxGroup });
  return fc.tuple(opening, fc.array(group, { minLength: options.minSteps, maxLength: options.maxSteps })).map(([first, rest]) => [first, ...rest]);
}

// ---------------------------------------------------------------------------------------------
// Running

/**
 * What runs without staff after a group: the scheduled job that finishes merges cut short, as it
 * runs once a merge has been in progress for longer than any Lambda lives (it runs in this process,
 * on the table the Lambdas use).
 */
export async function runScheduledMergeRepair(): Promise<void> {
  await finishInterruptedMerges(customerStore(), new Date(Date.now() + mergeCutShortAfterMs + 1_000));
}

export interface Attempt {
  status: number;
  body?: unknown;
}

export interface RetryOptions {
  /** Attempts per command, 503s and lost connections retried with the same request (and Idempotency-Key). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ModelOptions {
  transport: RouteTransport;
  /** Without it every command is sent once: a 503 is an outcome to check, not a reason to try again. */
  retry?: RetryOptions;
  /** Run around each group (fault injection on and off, a process kill). */
  duringGroup?: (group: number, send: () => Promise<void>) => Promise<void>;
  /** Run after a group and before its checks: what puts stuck states right without staff (the scheduled merge repair). */
  recover?: () => Promise<void>;
  /** A command answered with a 503 after every attempt is sent this many more times, after `duringGroup`. */
  finalAttempts?: number;
  /** Called when the table is new (an API key to register, for a transport over HTTP). */
  onFreshTable?: () => Promise<void>;
}

interface Resolved {
  label: string;
  command: Command;
  request: RouteRequest;
  /** Identifier values (normalised) the command may bring into the table. */
  carries: string[];
  /** Touchpoint markers (summary or source) of the touchpoints the command may store, one per batch item. */
  markers: string[];
  customer?: string;
  target?: string;
  source?: string;
  mergeId?: string;
  touchpointId?: string;
  identifier?: { type: string; value: string };
  attempts: Attempt[];
  /** The attempts the client made before giving up (still 503 or no answer), when it did. */
  gaveUp?: number;
}

interface TouchpointExpectation {
  marker: string;
  label: string;
  /** How many copies may be stored: one for a 2xx; none for a refusal or a 503 "nothing was written"; more for lost answers. */
  least: number;
  most: number;
  /** The answers, for the finding. */
  answered: string;
  touchpointId?: string;
  /** Its customer as last seen (in a scan, or the answer). */
  lastOwner?: string;
  erased: boolean;
}

export interface RunStats {
  groups: number;
  commands: number;
  attempts: number;
  /** Final statuses, counted by route kind and status. */
  statuses: Record<string, number>;
  /** The most attempts one command needed, by kind. */
  mostAttempts: Record<string, number>;
}

export class ModelRun {
  readonly tag: string;
  readonly pool: Record<PoolType, string[]>;
  readonly log: string[] = [];
  readonly stats: RunStats = { groups: 0, commands: 0, attempts: 0, statuses: {}, mostAttempts: {} };
  private readonly customers: string[] = [];
  private readonly merges: string[] = [];
  private readonly touchpointIds: string[] = [];
  /** Hashes erases answered with: what a lift may name. */
  private readonly suppressions: string[] = [];
  private readonly keys: string[] = [];
  private readonly expectations = new Map<string, TouchpointExpectation>();
  /** Erased customer ids, and identifier values only they held: no item may hold them. */
  private readonly needles = new Map<string, string>();
  private scan: Item[] = [];
  private counter = 0;

  constructor(
    private readonly options: ModelOptions,
    tag: string,
  ) {
    this.tag = tag;
    this.pool = {
      email: Array.from({ length: poolSize }, (_, index) => `m${index}.${tag}@example.com`),
      phone: Array.from({ length: poolSize }, () => uniquePhone().e164),
      anonymousId: Array.from({ length: poolSize }, (_, index) => `ck${index}x${tag}`),
      accountId: Array.from({ length: poolSize }, (_, index) => `AC${index}x${tag}`),
      // Each run has a table of its own, so these need no tag; they are what a map keyed by user text trips on.
      invoiceNumber: [`INV0x${tag}`, 'constructor', '__proto__'],
    };
  }

  /** Runs the groups in order; returns the findings of the first group that has any (empty when all held). */
  async run(groups: Group[]): Promise<string[]> {
    for (const [index, group] of groups.entries()) {
      const findings = await this.runGroup(index, group);
      if (findings.length > 0) return findings;
    }
    return [];
  }

  private nextMarker(): string {
    this.counter += 1;
    return `props-${this.tag}-${this.counter}-`;
  }

  // -- picking ---------------------------------------------------------------------------------

  private profiles(): Map<string, Item> {
    return new Map(this.scan.filter((item) => item.entity === 'customer').map((item) => [item.customerId as string, item]));
  }

  private pickCustomer(ref: CustomerRef): string {
    const live = [...this.profiles().values()].filter((item) => item.mergedInto === undefined).map((item) => item.customerId as string);
    const list = ref % 2 === 0 && live.length > 0 ? live : this.customers.length > 0 ? this.customers : live;
    // Nobody yet: a well-formed id that no customer has.
    return list[Math.floor(ref / 2) % Math.max(1, list.length)] ?? newCustomerId();
  }

  private poolValue(ref: PoolRef): string {
    return this.pool[ref.type][ref.which % poolSize] as string;
  }

  private remember(list: string[], value: unknown): void {
    if (typeof value === 'string' && !list.includes(value)) list.push(value);
  }

  private describeCustomer(customerId: string | undefined): string {
    if (!customerId) return 'nobody';
    const index = this.customers.indexOf(customerId);
    return index === -1 ? customerId : `c${index}(${customerId.slice(-6)})`;
  }

  // -- resolving -------------------------------------------------------------------------------

  private ingestBody(spec: IngestSpec, marker: string): { body: Record<string, unknown>; carries: string[] } {
    const identifiers: Record<string, string> = {};
    if (spec.email !== undefined) identifiers.email = this.pool.email[spec.email] as string;
    if (spec.phone !== undefined) identifiers.phone = this.pool.phone[spec.phone] as string;
    if (spec.cookie !== undefined) identifiers.anonymousId = spec.cookie === 'fresh' ? `ck-fresh-${marker}` : (this.pool.anonymousId[spec.cookie] as string);
    if (spec.account !== undefined) identifiers.accountId = this.pool.accountId[spec.account] as string;
    if (spec.invoice !== undefined) identifiers.invoiceNumber = this.pool.invoiceNumber[spec.invoice] as string;
    if (spec.customer !== undefined) identifiers.customerId = this.pickCustomer(spec.customer);
    const channel = identifiers.invoiceNumber ? 'invoice_query' : identifiers.phone ? 'call' : 'web_visit';
    const details =
      channel === 'invoice_query'
        ? { invoiceNumber: identifiers.invoiceNumber, queryId: identifiers.invoiceNumber, status: spec.minutesBefore % 2 === 0 ? 'open' : 'resolved' }
        : channel === 'call'
          ? { direction: 'inbound', durationSeconds: 60 }
          : { url: 'https://www.example.org/account', title: 'Account' };
    return {
      body: {
        channel,
        identifiers,
        source: 'props',
        summary: marker,
        occurredAt: new Date(Date.now() - spec.minutesBefore * 60_000).toISOString(),
        details,
      },
      carries: Object.entries(identifiers)
        .filter(([type]) => type !== 'customerId')
        .map(([, value]) => value),
    };
  }

  private resolve(command: Command): Resolved | undefined {
    const base = { command, attempts: [] as Attempt[], markers: [] as string[], carries: [] as string[] };
    const customerPath = (customerId: string, suffix = '') => `/v1/customers/${encodeURIComponent(customerId)}${suffix}`;
    switch (command.kind) {
      case 'ingest': {
        const marker = this.nextMarker();
        const { body, carries } = this.ingestBody(command.spec, marker);
        const headers: Record<string, string> = command.spec.keyed ? { 'idempotency-key': `ik-${marker}` } : {};
        const named = (body.identifiers as Record<string, string>).customerId;
        return {
          ...base,
          label: `ingest ${describeIdentifiers(body.identifiers as Record<string, string>, (id) => this.describeCustomer(id))}${command.spec.keyed ? ' keyed' : ''} [${marker}]`,
          request: { method: 'POST', path: '/v1/touchpoints', body, headers },
          carries,
          markers: [marker],
          ...(named ? { customer: named } : {}),
        };
      }
      case 'batch': {
        const built = command.items.map((spec) => {
          const marker = this.nextMarker();
          const built = this.ingestBody(spec, marker);
          return { marker, ...built, body: spec.keyed ? { ...built.body, idempotencyKey: `ik-${marker}` } : built.body };
        });
        return {
          ...base,
          label: `batch of ${built.length}: ${built.map((item) => `${describeIdentifiers(item.body.identifiers as Record<string, string>, (id) => this.describeCustomer(id))} [${item.marker}]`).join(' | ')}`,
          request: { method: 'POST', path: '/v1/touchpoints/batch', body: { items: built.map((item) => item.body) } },
          carries: built.flatMap((item) => item.carries),
          markers: built.map((item) => item.marker),
        };
      }
      case 'link': {
        const customer = this.pickCustomer(command.customer);
        const value = this.poolValue(command.identifier);
        const shared = command.shared && (command.identifier.type === 'phone' || command.identifier.type === 'email');
        return {
          ...base,
          label: `link ${command.identifier.type} ${value}${shared ? ' shared' : ''} to ${this.describeCustomer(customer)}`,
          request: { method: 'POST', path: customerPath(customer, '/identifiers'), body: { type: command.identifier.type, value, shared } },
          carries: [value],
          customer,
          identifier: { type: command.identifier.type, value },
        };
      }
      case 'unlink': {
        const customer = this.pickCustomer(command.customer);
        const own = Object.values((this.profiles().get(customer)?.identifiers as Record<string, { type: string; value: string }> | undefined) ?? {});
        const mine = command.own && own.length > 0 ? own[command.identifier.which % own.length] : undefined;
        const identifier = mine ? { type: mine.type, value: mine.value } : { type: command.identifier.type, value: this.poolValue(command.identifier) };
        return {
          ...base,
          label: `unlink ${identifier.type} ${identifier.value} from ${this.describeCustomer(customer)}`,
          request: { method: 'DELETE', path: customerPath(customer, `/identifiers/${identifier.type}/${encodeURIComponent(identifier.value)}`) },
          customer,
          identifier,
        };
      }
      case 'merge': {
        const target = this.pickCustomer(command.target);
        const source = this.pickCustomer(command.source);
        return {
          ...base,
          label: `merge ${this.describeCustomer(source)} into ${this.describeCustomer(target)}`,
          request: { method: 'POST', path: customerPath(target, '/merge'), body: { sourceCustomerId: source, reason: 'property test' } },
          target,
          source,
        };
      }
      case 'undo': {
        const mergeId = this.merges[command.merge % Math.max(1, this.merges.length)];
        if (!mergeId) return undefined;
        const record = this.scan.find((item) => item.entity === 'merge' && item.mergeId === mergeId);
        return {
          ...base,
          label: `undo ${mergeId} (${this.describeCustomer(record?.sourceCustomerId as string | undefined)} out of ${this.describeCustomer(record?.targetCustomerId as string | undefined)})`,
          request: { method: 'POST', path: `/v1/merges/${mergeId}/undo`, body: { reason: 'property test' } },
          mergeId,
          ...(typeof record?.targetCustomerId === 'string' ? { target: record.targetCustomerId } : {}),
          ...(typeof record?.sourceCustomerId === 'string' ? { source: record.sourceCustomerId } : {}),
        };
      }
      case 'move': {
        const stored = this.scan.filter(isTouchpoint).map((item) => item.touchpointId as string);
        const candidates = [...new Set([...stored, ...this.touchpointIds])];
        const touchpointId = candidates[command.touchpoint % Math.max(1, candidates.length)];
        if (!touchpointId) return undefined;
        const customer = this.pickCustomer(command.customer);
        const from = this.scan.find((item) => isTouchpoint(item) && item.touchpointId === touchpointId)?.customerId as string | undefined;
        return {
          ...base,
          label: `move ${touchpointId} from ${this.describeCustomer(from)} to ${this.describeCustomer(customer)}`,
          request: { method: 'POST', path: `/v1/touchpoints/${touchpointId}/move`, body: { customerId: customer, reason: 'property test' } },
          customer,
          touchpointId,
          ...(from ? { source: from } : {}),
        };
      }
      case 'preferences': {
        const customer = this.pickCustomer(command.customer);
        const marker = this.nextMarker();
        const identifiers = command.permission
          ? [{ type: command.permission.type, value: this.poolValue(command.permission), channels: { [command.permission.type]: command.email } }]
          : [];
        return {
          ...base,
          label: `preferences of ${this.describeCustomer(customer)}: email ${command.email}${identifiers[0] ? ` (+ ${identifiers[0].value})` : ''} [${marker}]`,
          request: {
            method: 'PUT',
            path: customerPath(customer, '/preferences'),
            body: { channels: { email: command.email }, identifiers, receivedVia: 'call', source: marker },
            // As a client that follows the contract sends it with every write it may retry.
            headers: { 'idempotency-key': `ik-${marker}` },
          },
          markers: [marker],
          customer,
        };
      }
      case 'update': {
        const customer = this.pickCustomer(command.customer);
        return {
          ...base,
          label: `update ${this.describeCustomer(customer)}: trait ${command.trait}`,
          request: { method: 'PATCH', path: customerPath(customer), body: { traits: { [command.trait]: 'gold' } } },
          customer,
        };
      }
      case 'erase': {
        const customer = this.pickCustomer(command.customer);
        return {
          ...base,
          label: `erase ${this.describeCustomer(customer)}${command.suppress ? ' suppress' : ''}`,
          request: { method: 'DELETE', path: customerPath(customer), query: { suppress: String(command.suppress) } },
          customer,
        };
      }
      case 'lift': {
        const hash = this.suppressions[command.suppression % Math.max(1, this.suppressions.length)];
        if (!hash) return undefined;
        return {
          ...base,
          label: `lift suppression ${hash.slice(0, 8)}`,
          request: { method: 'DELETE', path: `/v1/suppressions/${hash}` },
        };
      }
      case 'createKey': {
        const name = `props-system-${command.name}`;
        return {
          ...base,
          label: `create key ${name}`,
          request: { method: 'POST', path: '/v1/keys', body: { name, scopes: ['touchpoints:write:web_visit'] } },
        };
      }
      case 'revokeKey': {
        const keyId = this.keys[command.key % Math.max(1, this.keys.length)];
        if (!keyId) return undefined;
        return { ...base, label: `revoke key ${keyId}`, request: { method: 'DELETE', path: `/v1/keys/${keyId}` } };
      }
      case 'read': {
        const customer = this.pickCustomer(command.customer);
        const value = this.poolValue(command.identifier);
        const request: RouteRequest =
          command.what === 'lookup'
            ? { method: 'GET', path: '/v1/customers/lookup', query: { [command.identifier.type]: value } }
            : { method: 'GET', path: customerPath(customer, command.what === 'customer' ? '' : `/${command.what}`) };
        return { ...base, label: `read ${command.what} of ${command.what === 'lookup' ? value : this.describeCustomer(customer)}`, request, customer };
      }
      case 'dismiss': {
        const candidates = this.scan.filter((item) => item.entity === 'mergeCandidate').map((item) => (item.customerIds as string[]).join('.'));
        const candidateId = candidates[command.candidate % Math.max(1, candidates.length)];
        if (!candidateId) return undefined;
        return {
          ...base,
          label: `dismiss candidate ${candidateId
            .split('.')
            .map((id) => this.describeCustomer(id))
            .join(' & ')}`,
          request: { method: 'POST', path: `/v1/merge-candidates/${encodeURIComponent(candidateId)}/dismiss`, body: {} },
        };
      }
    }
  }

  // -- sending ---------------------------------------------------------------------------------

  private async attempt(resolved: Resolved): Promise<void> {
    let answer: RouteAnswer | undefined;
    try {
      answer = await this.options.transport(resolved.request);
    } catch {
      // No answer (a killed server): the request may or may not have been done.
      resolved.attempts.push({ status: 0 });
      return;
    }
    resolved.attempts.push({ status: answer.status, body: answer.body });
  }

  private async send(resolved: Resolved, attempts: number, retry?: RetryOptions): Promise<void> {
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      await this.attempt(resolved);
      const status = resolved.attempts.at(-1)?.status ?? 0;
      if (status !== 0 && status !== 503) return;
      if (attempt < attempts && retry) {
        const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
  }

  // -- one group -------------------------------------------------------------------------------

  private async runGroup(index: number, group: Group): Promise<string[]> {
    if (index === 0) await this.freshTable();
    const before = this.scan;
    const resolved = group.map((command) => this.resolve(command)).filter((item): item is Resolved => item !== undefined);
    // Values brought in again are no longer expected to be gone.
    for (const value of resolved.flatMap((item) => item.carries)) this.needles.delete(value);
    const suppressedAtStart = this.suppressedValues();

    const retry = this.options.retry;
    const sendAll = async () => {
      await Promise.all(resolved.map((item) => this.send(item, retry?.attempts ?? 1, retry)));
    };
    if (this.options.duringGroup) await this.options.duringGroup(index, sendAll);
    else await sendAll();
    for (const item of resolved) {
      const status = item.attempts.at(-1)?.status ?? 0;
      if (status !== 503 && status !== 0) continue;
      // Still busy after every try is the API's doing; no answer at all is a server not back yet (a restart under load).
      if (status === 503) item.gaveUp = item.attempts.length;
      if (this.options.finalAttempts) await this.send(item, this.options.finalAttempts, retry);
    }
    await this.options.recover?.();

    this.scan = await scanItems(testTableName());
    this.stats.groups += 1;
    for (const item of resolved) {
      this.stats.commands += 1;
      this.stats.attempts += item.attempts.length;
      const key = `${item.command.kind} ${item.attempts.at(-1)?.status ?? 'none'}`;
      this.stats.statuses[key] = (this.stats.statuses[key] ?? 0) + 1;
      this.stats.mostAttempts[item.command.kind] = Math.max(this.stats.mostAttempts[item.command.kind] ?? 0, item.attempts.length);
      this.log.push(`${index}: ${item.label} -> ${item.attempts.map((attempt) => attempt.status).join(',')}${describeAnswer(item)}`);
    }
    if (resolved.length > 1) this.log.push(`${index}: (the ${resolved.length} above at once)`);
    this.learn(resolved);
    const findings = this.check(before, resolved, suppressedAtStart);
    return findings.map((finding) => `group ${index}: ${finding}`);
  }

  private async freshTable(): Promise<void> {
    const admin = createDynamoDbClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'local' });
    try {
      await admin.send(new DeleteTableCommand({ TableName: testTableName() })).catch((error: unknown) => {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      });
      await ensureTestTable(admin, testTableName());
    } finally {
      admin.destroy();
    }
    await this.options.onFreshTable?.();
    this.scan = await scanItems(testTableName());
  }

  /**
   * Values suppressed in the table as it stands: not from the answers, since a repeated erase
   * answers its first receipt, suppressions lifted since then included.
   */
  private suppressedValues(): Set<string> {
    const active = new Set(this.scan.filter((item) => item.entity === 'suppression').map((item) => item.hash as string));
    const values = new Set<string>();
    for (const type of poolTypes) {
      for (const value of this.pool[type]) if (active.has(suppressionHash({ type, value }))) values.add(value);
    }
    return values;
  }

  /** What the answers and the new scan tell about customers, merges, touchpoints, suppressions and erasures. */
  private learn(resolved: Resolved[]): void {
    for (const item of this.scan) {
      if (item.entity === 'customer') this.remember(this.customers, item.customerId);
      if (item.entity === 'merge' && item.kind === 'merge') this.remember(this.merges, item.mergeId);
    }
    for (const item of resolved) {
      const final = item.attempts.at(-1);
      const body = final?.body as Record<string, unknown> | undefined;
      if (!final || final.status < 200 || final.status >= 300 || !body) continue;
      this.remember(this.customers, body.customerId);
      this.remember(this.touchpointIds, body.touchpointId);
      if (item.command.kind === 'merge') this.remember(this.merges, body.mergeId);
      if (item.command.kind === 'createKey') this.remember(this.keys, body.keyId);
      for (const merge of (body.merges as Array<{ mergeId: string }> | undefined) ?? []) this.remember(this.merges, merge.mergeId);
      if (item.command.kind === 'erase') {
        for (const suppression of (body.suppressions as Array<{ hash: string }> | undefined) ?? []) this.remember(this.suppressions, suppression.hash);
      }
    }
  }

  // -- checks ----------------------------------------------------------------------------------

  private check(before: Item[], resolved: Resolved[], suppressedAtStart: Set<string>): string[] {
    const findings: string[] = [];
    const after = this.scan;
    const profiles = this.profiles();
    const beforeProfiles = new Map(before.filter((item) => item.entity === 'customer').map((item) => [item.customerId as string, item]));
    const lone = resolved.length === 1;

    // Answers.
    for (const item of resolved) {
      for (const attempt of item.attempts) {
        if (attempt.status >= 500 && attempt.status !== 503) findings.push(`${item.label} answered ${attempt.status}: ${JSON.stringify(attempt.body)}`);
      }
      if (item.gaveUp !== undefined) {
        findings.push(
          `${item.label} did not finish in ${item.gaveUp} tries (${item.attempts
            .slice(0, item.gaveUp)
            .map((attempt) => attempt.status)
            .join(',')}); then ${
            item.attempts
              .slice(item.gaveUp)
              .map((attempt) => attempt.status)
              .join(',') || 'no more tries'
          }`,
        );
      }
      const final = item.attempts.at(-1);
      const allowed = allowedStatusesOf(item.command);
      if (final && final.status !== 0 && !allowed.includes(final.status)) {
        findings.push(`${item.label} answered ${final.status}, not one of ${allowed.join('/')}: ${JSON.stringify(final.body)}`);
      }
      if (final?.status === 300 && !sharedByCandidates(final.body))
        findings.push(`${item.label} answered 300 for an identifier not shared: ${JSON.stringify(final.body)}`);
      // Other commands of the group may make a command impossible (an erase takes the merge record with it);
      // only another undo of the same merge can make an undo "already undone".
      const alone =
        resolved.length === 1 ||
        (item.command.kind === 'undo' &&
          /already undone/.test(JSON.stringify(item.attempts.at(-1)?.body ?? '')) &&
          resolved.filter((other) => other.mergeId === item.mergeId).length === 1);
      if (alone) findings.push(...retriedCommitFindings(item, before));
    }

    // Erasures: the customers erased, and the identifier values only they held.
    const erasedNow = new Set<string>();
    for (const item of resolved) {
      const final = item.attempts.at(-1);
      if (item.command.kind !== 'erase' || final?.status !== 200) continue;
      for (const customerId of (final.body as { customerIds?: string[] }).customerIds ?? []) erasedNow.add(customerId);
    }
    // A profile goes only with an erase, answered or not (a retry of an erase that committed may answer 404).
    const erasing = resolved.some((item) => item.command.kind === 'erase');
    for (const customerId of beforeProfiles.keys()) {
      if (profiles.has(customerId)) continue;
      if (erasing) erasedNow.add(customerId);
      else findings.push(`customer ${this.describeCustomer(customerId)} vanished without an erase`);
    }
    const carriedNow = new Set(resolved.flatMap((item) => item.carries));
    // A customer who held the identifier before (and unlinked it) keeps it in its own records, with
    // the claim that says so: the erase of a later holder leaves that customer's history alone.
    const claimedByOthers = new Set(
      before.filter((item) => item.entity === 'identifierClaim' && !erasedNow.has(customerIdOfPartition(item.pk) ?? '')).map((item) => String(item.value)),
    );
    for (const customerId of erasedNow) this.needles.set(customerId, `the id of erased customer ${this.describeCustomer(customerId)}`);
    for (const identifier of before.filter((item) => item.entity === 'identifier')) {
      const holders = [identifier.customerId as string, ...((identifier.sharedWith as string[] | undefined) ?? [])];
      if (!holders.every((holder) => erasedNow.has(holder))) continue;
      const value = String(identifier.pk).replace(/^IDENT#[^#]+#/, '');
      if (!carriedNow.has(value) && !claimedByOthers.has(value))
        this.needles.set(value, `an identifier only erased ${holders.map((holder) => this.describeCustomer(holder)).join(', ')} held`);
    }
    for (const customerId of erasedNow) {
      if (profiles.has(customerId)) findings.push(`erase answered 200 for ${this.describeCustomer(customerId)}, whose profile is still there`);
    }
    const traces = findTraces(after, [...this.needles.keys()]);
    for (const trace of traces.slice(0, 8)) {
      findings.push(`${this.needles.get(trace.needle)} (${trace.needle}) is still in ${trace.pk} / ${trace.sk} at ${trace.path}`);
    }
    if (traces.length > 8) findings.push(`... and ${traces.length - 8} more traces of erased customers`);

    // The graph, nothing pointing at nobody, nothing stuck.
    findings.push(...graphProblems(after));
    findings.push(...danglingReferences(after, profiles));
    for (const item of after) {
      if (item.entity === 'customer' && item.identityLock !== undefined)
        findings.push(`customer ${this.describeCustomer(item.customerId as string)} is still locked by ${String(item.identityLock)}`);
      if (item.entity === 'merge' && (item.status === 'in_progress' || item.status === 'undoing')) {
        findings.push(
          `${String(item.kind)} ${String(item.mergeId)} of ${this.describeCustomer(item.sourceCustomerId as string)} into ${this.describeCustomer(item.targetCustomerId as string)} is stuck ${String(item.status)}`,
        );
      }
    }

    // Touchpoints: exactly once, never for a refusal.
    findings.push(...this.checkTouchpoints(resolved, erasedNow));

    // Suppression: refused by ingest and by link.
    const lifting = resolved.some((item) => item.command.kind === 'lift');
    if (!lifting) {
      for (const item of resolved) {
        const final = item.attempts.at(-1);
        if (!final || final.status < 200 || final.status >= 300) continue;
        const suppressed = item.carries.filter((value) => suppressedAtStart.has(value));
        if (item.command.kind === 'batch') {
          const results = (final.body as { results?: Array<{ status: number }> }).results ?? [];
          const items = (item.request.body as { items: Array<{ identifiers: Record<string, string> }> }).items;
          results.forEach((result, position) => {
            const values = Object.values(items[position]?.identifiers ?? {}).filter((value) => suppressedAtStart.has(value));
            if (result.status >= 200 && result.status < 300 && values.length > 0)
              findings.push(`${item.label}: item ${position} carrying suppressed ${values.join(', ')} was accepted (${result.status})`);
          });
        } else if (suppressed.length > 0) {
          findings.push(`${item.label} carried suppressed ${suppressed.join(', ')} and was accepted (${final.status})`);
        }
      }
    }

    if (lone) findings.push(...this.checkLone(resolved[0] as Resolved, before, beforeProfiles, profiles));
    return findings;
  }

  private checkTouchpoints(resolved: Resolved[], erasedNow: Set<string>): string[] {
    const findings: string[] = [];
    // New expectations from this group's answers.
    for (const item of resolved) {
      const final = item.attempts.at(-1);
      if (item.command.kind === 'batch') {
        const results = final?.status === 207 ? ((final.body as { results?: Array<Record<string, unknown>> }).results ?? []) : [];
        const specs = (item.command as { items: IngestSpec[] }).items;
        item.markers.forEach((marker, position) => {
          const result = results[position];
          const status = typeof result?.status === 'number' ? result.status : (final?.status ?? 0);
          this.expectations.set(marker, {
            marker,
            label: `${item.label} (item ${position})`,
            ...storedCopies(status, result, item.attempts.slice(0, -1), specs[position]?.keyed ?? false),
            ...(typeof result?.touchpointId === 'string' ? { touchpointId: result.touchpointId } : {}),
            ...(typeof result?.customerId === 'string' ? { lastOwner: result.customerId } : {}),
            erased: false,
          });
        });
      } else {
        // Preferences are sent with an Idempotency-Key: retrying them must not record them twice.
        const keyed = item.command.kind === 'preferences' || (item.command.kind === 'ingest' && item.command.spec.keyed);
        for (const marker of item.markers) {
          const body = final?.body as Record<string, unknown> | undefined;
          this.expectations.set(marker, {
            marker,
            label: item.label,
            ...storedCopies(final?.status ?? 0, body, item.attempts.slice(0, -1), keyed),
            ...(typeof body?.touchpointId === 'string' ? { touchpointId: body.touchpointId } : {}),
            ...(typeof body?.customerId === 'string' ? { lastOwner: body.customerId } : {}),
            erased: false,
          });
        }
      }
    }
    // Touchpoints moved to or merged into a customer erased in this group went with it; so may one
    // an undo in this group gave back to the source it erased (an erase racing the undo of its merge).
    const erasedWith = (owner: string | undefined, touchpointId: string | undefined) =>
      (owner !== undefined && erasedNow.has(owner)) ||
      resolved.some(
        (item) =>
          (item.command.kind === 'move' && item.touchpointId === touchpointId && item.customer !== undefined && erasedNow.has(item.customer)) ||
          (item.command.kind === 'merge' && item.source === owner && item.target !== undefined && erasedNow.has(item.target)) ||
          (item.command.kind === 'undo' && item.target === owner && item.source !== undefined && erasedNow.has(item.source)),
      );

    const stored = new Map<string, Item[]>();
    for (const item of this.scan.filter(isTouchpoint)) {
      const marker = markerOf(item);
      if (marker) stored.set(marker, [...(stored.get(marker) ?? []), item]);
    }
    for (const expectation of this.expectations.values()) {
      if (expectation.erased) continue;
      const copies = stored.get(expectation.marker) ?? [];
      const where = copies.map((copy) => `${String(copy.touchpointId)} on ${this.describeCustomer(copy.customerId as string)}`).join(', ');
      if (copies.length > expectation.most) {
        findings.push(
          expectation.most === 0
            ? `${expectation.label}: ${expectation.answered}, yet stored as ${where}`
            : `${expectation.label}: ${expectation.answered}, stored ${copies.length} times (${where})`,
        );
      }
      const answeredCopy = copies.find((copy) => copy.touchpointId === expectation.touchpointId);
      // Without a key, a retry after a lost answer may store another copy; the answered one may be gone with an erase.
      if (expectation.touchpointId && expectation.most === 1 && copies.length > 0 && !answeredCopy) {
        findings.push(`${expectation.label}: answered touchpoint ${expectation.touchpointId}, stored as ${where}`);
      }
      const copy = answeredCopy ?? copies[0];
      if (copy) expectation.lastOwner = copy.customerId as string;
      else if (expectation.lastOwner && erasedWith(expectation.lastOwner, expectation.touchpointId)) expectation.erased = true;
      else if (expectation.least > 0)
        findings.push(
          `${expectation.label}: answered ${expectation.touchpointId ?? '2xx'} on ${this.describeCustomer(expectation.lastOwner)}, and it is not stored`,
        );
    }
    return findings;
  }

  /** A command alone in its group: a refusal changed nothing, a success did what it said. */
  private checkLone(item: Resolved, before: Item[], beforeProfiles: Map<string, Item>, profiles: Map<string, Item>): string[] {
    const findings: string[] = [];
    const final = item.attempts.at(-1);
    if (!final) return findings;
    const refused = final.status >= 400 && final.status < 500 && item.attempts.every((attempt) => attempt.status >= 400 && attempt.status < 500);
    if (refused) {
      const changes = tableChanges(before, this.scan);
      if (changes.length > 0) findings.push(`${item.label} answered ${final.status} yet changed the table: ${changes.slice(0, 5).join('; ')}`);
      return findings;
    }
    if (final.status < 200 || final.status >= 300) return findings;
    const body = (final.body ?? {}) as Record<string, unknown>;
    const profile = (customerId: string | undefined) => (customerId ? profiles.get(customerId) : undefined);
    const identifierItem = (identifier: { type: string; value: string } | undefined) =>
      identifier && this.scan.find((entry) => entry.entity === 'identifier' && entry.pk === `IDENT#${identifier.type}#${identifier.value}`);
    switch (item.command.kind) {
      case 'merge': {
        const source = profile(item.source);
        if (source?.mergedInto !== item.target)
          findings.push(
            `${item.label} answered ${final.status}, yet the source is ${source ? `merged into ${this.describeCustomer(source.mergedInto as string)}` : 'gone'}`,
          );
        break;
      }
      case 'undo': {
        const source = profile(item.source);
        // An undo posted again after the source was erased answers the undone merge as the erase left
        // it: the record is the survivor's history too, redacted, and names the source no more.
        const erasedSince = item.source === redactedMark && body.status === 'undone' && body.sourceCustomerId === redactedMark;
        // Merged away again by a later merge is no finding: an undo posted again answers the undone merge.
        if ((!source && !erasedSince) || (source?.mergedInto !== undefined && source.mergedBy === body.mergeId))
          findings.push(`${item.label} answered ${final.status}, yet the source is ${source ? 'still merged away' : 'gone'}`);
        break;
      }
      case 'link': {
        const owner = identifierItem(item.identifier);
        const holders = owner ? [owner.customerId, ...((owner.sharedWith as string[] | undefined) ?? [])] : [];
        if (!holders.includes(item.customer))
          findings.push(
            `${item.label} answered ${final.status}, yet the identifier resolves to ${owner ? this.describeCustomer(owner.customerId as string) : 'nobody'}`,
          );
        break;
      }
      case 'unlink': {
        const owner = identifierItem(item.identifier);
        const holders = owner ? [owner.customerId, ...((owner.sharedWith as string[] | undefined) ?? [])] : [];
        if (holders.includes(item.customer)) findings.push(`${item.label} answered ${final.status}, yet the identifier still resolves to that customer`);
        const listed = Object.values((profile(item.customer)?.identifiers as Record<string, { type: string; value: string }> | undefined) ?? {});
        if (listed.some((entry) => entry.type === item.identifier?.type && entry.value === item.identifier?.value)) {
          findings.push(`${item.label} answered ${final.status}, yet the customer's profile still lists it`);
        }
        break;
      }
      case 'move': {
        const moved = this.scan.find((entry) => isTouchpoint(entry) && entry.touchpointId === item.touchpointId);
        if (moved?.customerId !== item.customer)
          findings.push(`${item.label} answered ${final.status}, yet the touchpoint is on ${this.describeCustomer(moved?.customerId as string | undefined)}`);
        break;
      }
      case 'erase': {
        const named = item.customer as string;
        if (beforeProfiles.has(named) && profiles.has(named))
          findings.push(`${item.label} answered ${final.status}, yet the profile is still there (${String(body.status)})`);
        break;
      }
      case 'createKey': {
        const key = this.scan.find((entry) => entry.entity === 'apiKey' && entry.keyId === body.keyId);
        if (!key) findings.push(`${item.label} answered ${final.status}, yet no key ${String(body.keyId)} is stored`);
        if (JSON.stringify(this.scan).includes(String(body.key))) findings.push(`${item.label}: the secret key itself is stored`);
        break;
      }
      case 'revokeKey': {
        const keyId = item.request.path.split('/').at(-1);
        const key = this.scan.find((entry) => entry.entity === 'apiKey' && entry.keyId === keyId);
        if (!key?.revokedAt) findings.push(`${item.label} answered ${final.status}, yet the key is ${key ? 'not revoked' : 'gone'}`);
        break;
      }
      case 'read': {
        // Against the table as the read found it: the scheduled merge repair runs after the group, before the scan.
        if (item.command.what === 'customer' || item.command.what === 'lookup') findings.push(...this.checkCustomerView(item.label, body, before));
        break;
      }
      case 'update': {
        const traits = (profile(item.customer)?.traits as Record<string, unknown> | undefined) ?? {};
        const trait = (item.command as { trait: string }).trait;
        if (traits[trait] !== 'gold') findings.push(`${item.label} answered ${final.status}, yet the trait is ${JSON.stringify(traits[trait])}`);
        break;
      }
      default:
        break;
    }
    return findings;
  }

  /**
   * A customer's view read alone: its recent touchpoints are the ten newest stored on the customer
   * it names, and the card's pages are the newest web visits among those (ADR 13), never a page of
   * a touchpoint moved away, erased or of another customer.
   */
  private checkCustomerView(label: string, body: Record<string, unknown>, table: Item[]): string[] {
    if (!body.card) return []; // A shared identifier's candidates: no card.
    const customerId = (body.customer as { customerId: string }).customerId;
    const newestStored = table
      .filter((entry) => isTouchpoint(entry) && entry.pk === `CUST#${customerId}`)
      .sort((a, b) => String(b.sk).localeCompare(String(a.sk)))
      .slice(0, 10);
    const ids = (touchpoints: Array<{ touchpointId?: unknown }>) => touchpoints.map((touchpoint) => String(touchpoint.touchpointId)).join(', ');
    const findings: string[] = [];
    const recent = body.recent as Array<{ touchpointId: string }>;
    if (ids(recent) !== ids(newestStored)) {
      findings.push(`${label} shows as recent [${ids(recent)}], where the ten newest stored on the customer are [${ids(newestStored)}]`);
    }
    const expectedPages = newestStored
      .filter((touchpoint) => touchpoint.channel === 'web_visit')
      .slice(0, 5)
      .map((touchpoint) => {
        const details = touchpoint.details as { url?: string; title?: string };
        return { url: details.url, title: details.title ?? null, occurredAt: touchpoint.occurredAt };
      });
    const pages = (body.card as { recentPages: unknown }).recentPages;
    if (JSON.stringify(pages) !== JSON.stringify(expectedPages)) {
      findings.push(`${label} shows the pages ${JSON.stringify(pages)}, where its newest stored web visits are ${JSON.stringify(expectedPages)}`);
    }
    return findings;
  }
}

const allowedStatuses: Record<Command['kind'], number[]> = {
  ingest: [200, 201, 202, 409, 422, 503],
  batch: [207, 503],
  link: [200, 201, 404, 409, 422, 503],
  unlink: [204, 404, 409, 503],
  merge: [200, 201, 404, 409, 422, 503],
  undo: [200, 404, 409, 503],
  move: [200, 404, 409, 422, 503],
  preferences: [200, 404, 409, 422, 503],
  update: [200, 404, 409, 422, 503],
  erase: [200, 202, 404, 503],
  lift: [204, 404, 503],
  dismiss: [200, 404, 409, 503],
  read: [200, 404, 503],
  createKey: [200, 201, 409, 503],
  revokeKey: [200, 204, 404, 409, 503],
};

/** A lookup by an identifier several customers share answers 300 with the candidates (a link may have shared it). */
function allowedStatusesOf(command: Command): number[] {
  return command.kind === 'read' && command.what === 'lookup' ? [200, 300, 404, 503] : allowedStatuses[command.kind];
}

/** A 300 names at least two candidates, each matched by the identifier as shared. */
function sharedByCandidates(body: unknown): boolean {
  const candidates = (body as { candidates?: Array<{ matchedBy?: { shared?: boolean } }> } | undefined)?.candidates ?? [];
  return candidates.length >= 2 && candidates.every((candidate) => candidate.matchedBy?.shared === true);
}

/**
 * A retried mutation whose earlier try may have committed (its answer was a 503 or never came)
 * must answer with the original result, never "already done". Only where the group's start made
 * the command possible: "already undone" about a merge that was undone before is the right answer.
 */
function retriedCommitFindings(item: Resolved, before: Item[]): string[] {
  const final = item.attempts.at(-1);
  const earlier = item.attempts.slice(0, -1);
  if (!final || earlier.length === 0 || final.status < 400 || final.status >= 500) return [];
  if (!earlier.some((attempt) => attempt.status === 503 || attempt.status === 0)) return [];
  const find = (predicate: (entry: Item) => boolean) => before.find(predicate);
  const profile = (customerId: string | undefined) => find((entry) => entry.entity === 'customer' && entry.customerId === customerId);
  const live = (customerId: string | undefined) => {
    const found = profile(customerId);
    return found !== undefined && found.mergedInto === undefined;
  };
  const command = item.command;
  let possible: boolean;
  switch (command.kind) {
    case 'undo':
      possible = find((entry) => entry.entity === 'merge' && entry.mergeId === item.mergeId)?.status === 'completed';
      break;
    case 'move':
      possible = live(item.customer) && find((entry) => isTouchpoint(entry) && entry.touchpointId === item.touchpointId)?.customerId !== item.customer;
      break;
    case 'merge':
      possible = live(item.target) && live(item.source) && item.target !== item.source;
      break;
    case 'erase':
      possible = profile(item.customer) !== undefined;
      break;
    case 'unlink': {
      const owner = find((entry) => entry.entity === 'identifier' && entry.pk === `IDENT#${item.identifier?.type}#${item.identifier?.value}`);
      possible = owner !== undefined && [owner.customerId, ...((owner.sharedWith as string[] | undefined) ?? [])].includes(item.customer);
      break;
    }
    case 'lift':
      possible = find((entry) => entry.entity === 'suppression' && entry.pk === `SUPPRESS#${item.request.path.split('/').at(-1)}`) !== undefined;
      break;
    case 'dismiss':
      possible =
        find(
          (entry) =>
            entry.entity === 'mergeCandidate' && (entry.customerIds as string[]).join('.') === decodeURIComponent(item.request.path.split('/')[3] ?? ''),
        )?.status === 'open';
      break;
    case 'link': {
      const owner = find((entry) => entry.entity === 'identifier' && entry.pk === `IDENT#${item.identifier?.type}#${item.identifier?.value}`);
      possible = live(item.customer) && (owner === undefined || owner.customerId === item.customer);
      break;
    }
    case 'revokeKey': {
      const key = find((entry) => entry.entity === 'apiKey' && entry.keyId === item.request.path.split('/').at(-1));
      possible = key !== undefined && !key.revokedAt;
      break;
    }
    default:
      possible = false;
  }
  if (!possible) return [];
  const detail = JSON.stringify(final.body ?? '');
  return [
    `${item.label} was retried after ${earlier.map((attempt) => attempt.status).join(',')} and answered ${final.status} instead of the first try's result: ${detail}`,
  ];
}

/** A 503 that says so, or no answer at all (a killed server): the write may have landed. */
function mayHaveLanded(attempt: Attempt): boolean {
  return attempt.status === 0 || (attempt.status === 503 && /may have|might have/i.test(JSON.stringify(attempt.body ?? '')));
}

/**
 * How many copies of a touchpoint the answers allow. Keyed (or idempotent by method), retries
 * after a lost answer replay: at most one copy ever. Without a key, each attempt that may have
 * landed may have stored one; a 503 "nothing was written" allows none.
 */
function storedCopies(status: number, body: unknown, earlier: Attempt[], keyed: boolean): { least: number; most: number; answered: string } {
  const answered = `answered ${[...earlier.map((attempt) => attempt.status), status].join(',')}`;
  const landed = [...earlier, { status, body }].filter(mayHaveLanded).length;
  if (status >= 200 && status < 300) return { least: 1, most: keyed ? 1 : 1 + landed, answered };
  return { least: 0, most: keyed ? Math.min(1, landed) : landed, answered };
}

const isTouchpoint = (item: Item) => item.entity === 'touchpoint' && typeof item.sk === 'string' && item.sk.startsWith('T#');

function markerOf(item: Item): string | undefined {
  if (typeof item.summary === 'string' && item.summary.startsWith('props-')) return item.summary;
  if (typeof item.source === 'string' && item.source.startsWith('props-')) return item.source;
  return undefined;
}

/** What points at a customer with no profile, or at a touchpoint that is not stored; a customer with one of its two items. */
function danglingReferences(items: Item[], profiles: Map<string, Item>): string[] {
  const problems: string[] = [];
  const touchpoints = new Set(items.filter(isTouchpoint).map((item) => item.touchpointId as string));
  const cards = new Map(items.filter((item) => item.entity === 'card').map((item) => [item.customerId as string, item]));
  for (const [customerId, profile] of profiles) {
    const card = cards.get(customerId);
    if (!card) problems.push(`customer ${customerId} has a profile and no card`);
    else if (card.mergedInto !== profile.mergedInto) problems.push(`customer ${customerId}'s card and profile disagree on mergedInto`);
  }
  for (const customerId of cards.keys()) if (!profiles.has(customerId)) problems.push(`customer ${customerId} has a card and no profile`);
  for (const item of items) {
    if (item.entity === 'identifier') {
      for (const holder of [item.customerId as string, ...((item.sharedWith as string[] | undefined) ?? [])]) {
        if (!profiles.has(holder)) problems.push(`identifier ${String(item.pk)} points at ${holder}, which has no profile`);
      }
    } else if (isTouchpoint(item) && !profiles.has(customerIdOfPartition(item.pk) ?? '')) {
      problems.push(`touchpoint ${String(item.touchpointId)} is in the partition of ${String(item.pk)}, which has no profile`);
    } else if (item.entity === 'touchpointLocator' && !touchpoints.has(item.touchpointId as string)) {
      problems.push(`the locator of touchpoint ${String(item.touchpointId)} points at a touchpoint that is not stored`);
    } else if (item.entity === 'mergeCandidate') {
      for (const customerId of (item.customerIds as string[] | undefined) ?? []) {
        if (!profiles.has(customerId)) problems.push(`merge candidate ${String(item.pk)} names ${customerId}, which has no profile`);
      }
    } else if (item.entity === 'merge') {
      // An erase redacts the erased party of a merge or move with another customer (the record stays theirs).
      for (const customerId of [item.targetCustomerId, item.sourceCustomerId].filter((party) => party !== redactedMark)) {
        if (typeof customerId === 'string' && !profiles.has(customerId))
          problems.push(`${String(item.kind)} record ${String(item.mergeId)} names ${customerId}, which has no profile`);
      }
    }
  }
  return problems;
}

/** Items added, removed or changed between two scans, read-audit entries aside (every read adds one by design). */
function tableChanges(before: Item[], after: Item[]): string[] {
  const key = (item: Item) => `${String(item.pk)} / ${String(item.sk)}`;
  const relevant = (items: Item[]) => new Map(items.filter((item) => item.entity !== 'readAudit').map((item) => [key(item), JSON.stringify(sorted(item))]));
  const [was, is] = [relevant(before), relevant(after)];
  const changes: string[] = [];
  for (const [name, value] of is) {
    if (!was.has(name)) changes.push(`added ${name}`);
    else if (was.get(name) !== value) changes.push(`changed ${name}`);
  }
  for (const name of was.keys()) if (!is.has(name)) changes.push(`removed ${name}`);
  return changes;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value instanceof Set) return [...value].map(sorted).sort();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, member]) => [name, sorted(member)]),
    );
  }
  return value;
}

function describeIdentifiers(identifiers: Record<string, string>, customer: (id: string) => string): string {
  return Object.entries(identifiers)
    .map(([type, value]) => (type === 'customerId' ? `customerId ${customer(value)}` : `${type} ${value}`))
    .join(' + ');
}

function describeAnswer(item: Resolved): string {
  const final = item.attempts.at(-1);
  const body = final?.body as Record<string, unknown> | undefined;
  if (!body) return '';
  if (final && final.status >= 400) return ` ${String(body.detail ?? body.title ?? '')}`.slice(0, 160);
  const facts = ['customerId', 'touchpointId', 'mergeId', 'status', 'customerIds']
    .filter((name) => body[name] !== undefined)
    .map((name) => `${name}=${JSON.stringify(body[name])}`);
  if (Array.isArray(body.merges) && body.merges.length > 0) facts.push(`merges=${JSON.stringify(body.merges)}`);
  if (Array.isArray(body.results)) facts.push(`results=${JSON.stringify(body.results.map((result: Record<string, unknown>) => result.status))}`);
  return facts.length > 0 ? ` (${facts.join(' ')})` : '';
}

/**
 * Sizes from the environment: PROPS_RUNS and PROPS_STEPS (or PROPS_SCALE, a factor on both CI
 * sizes), PROPS_SEED, PROPS_SHRINK=1 (let fast-check shrink a failure), PROPS_REPORT=file (the
 * soak mode: every run is played and every failure written to that JSON file).
 */
export function propertySettings(defaults: { runs: number; steps: number; seed: number }) {
  const scale = Number(process.env.PROPS_SCALE ?? 1);
  const runs = Number(process.env.PROPS_RUNS ?? Math.round(defaults.runs * scale));
  const steps = Number(process.env.PROPS_STEPS ?? Math.round(defaults.steps * Math.sqrt(scale)));
  const seed = Number(process.env.PROPS_SEED ?? defaults.seed);
  // Shrinking replays sequences against DynamoDB Local: worth it when hunting, too slow for CI.
  const shrink = process.env.PROPS_SHRINK === '1';
  const report = process.env.PROPS_REPORT;
  // Generous per command for a busy two-core machine; the CI sizes finish far inside it.
  const timeoutMs = 120_000 + runs * steps * 4 * 1_500;
  return { runs, steps, seed, shrink, report, timeoutMs };
}

export interface SurveyReport {
  seed: number;
  runs: number;
  groups: number;
  commands: number;
  attempts: number;
  statuses: Record<string, number>;
  mostAttempts: Record<string, number>;
  /** Each failing run: its index, the findings of its first failing group, and its log. */
  failures: Array<{ run: number; findings: string[]; log: string[] }>;
  seconds: number;
}

/**
 * The soak mode: every run to its end (or its first failing group), every failure collected
 * rather than the first one thrown, and the figures of the whole survey. fast-check's `sample`
 * draws the same sequences as `assert` would for the seed.
 */
export async function surveyRuns(
  arbitrary: fc.Arbitrary<Group[]>,
  makeRun: () => ModelRun,
  options: { seed: number; runs: number; onRun?: (index: number, report: SurveyReport) => void },
): Promise<SurveyReport> {
  const started = Date.now();
  const report: SurveyReport = { seed: options.seed, runs: 0, groups: 0, commands: 0, attempts: 0, statuses: {}, mostAttempts: {}, failures: [], seconds: 0 };
  const samples = fc.sample(arbitrary, { seed: options.seed, numRuns: options.runs });
  for (const [index, groups] of samples.entries()) {
    const run = makeRun();
    const findings = await run.run(groups);
    report.runs += 1;
    report.groups += run.stats.groups;
    report.commands += run.stats.commands;
    report.attempts += run.stats.attempts;
    for (const [key, count] of Object.entries(run.stats.statuses)) report.statuses[key] = (report.statuses[key] ?? 0) + count;
    for (const [kind, most] of Object.entries(run.stats.mostAttempts)) report.mostAttempts[kind] = Math.max(report.mostAttempts[kind] ?? 0, most);
    if (findings.length > 0) report.failures.push({ run: index, findings, log: run.log });
    report.seconds = Math.round((Date.now() - started) / 1000);
    options.onRun?.(index, report);
  }
  return report;
}

/**
 * Runs the model as a property: fast-check's assert (stops at the first failing run, shrinks it
 * when PROPS_SHRINK=1), or, with PROPS_REPORT set, the survey of every run written to that file.
 * Returns the figures; throws with the failing run's findings and log.
 */
export async function assertModel(
  name: string,
  arbitrary: fc.Arbitrary<Group[]>,
  makeRun: () => ModelRun,
  settings: ReturnType<typeof propertySettings>,
): Promise<{ runs: number; commands: number }> {
  if (settings.report) {
    const file = settings.report.replace(/(\.json)?$/, `.${name}.json`);
    const write = async (report: SurveyReport) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    };
    const report = await surveyRuns(arbitrary, makeRun, { seed: settings.seed, runs: settings.runs, onRun: (_index, current) => void write(current) });
    await write(report);
    if (report.failures.length > 0) {
      const summary = report.failures.map((failure) => `run ${failure.run}:\n    ${failure.findings.join('\n    ')}`).join('\n');
      throw new Error(`${report.failures.length} of ${report.runs} runs failed (details in ${file}):\n${summary}`);
    }
    return { runs: report.runs, commands: report.commands };
  }
  let commands = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (groups) => {
      const run = makeRun();
      const findings = await run.run(groups);
      runs += 1;
      commands += run.stats.commands;
      if (findings.length > 0) throw new Error(`${findings.join('\n')}\nafter:\n  ${run.log.join('\n  ')}\n`);
    }),
    { seed: settings.seed, numRuns: settings.runs, endOnFailure: !settings.shrink },
  );
  return { runs, commands };
}
