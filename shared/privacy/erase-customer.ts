import { NotFoundError } from '../domain/errors.ts';
import type { Identifier } from '../domain/identifiers.ts';
import type { AttachedIdentifier } from '../domain/model.ts';
import { customerPartition, isTimelineSortKey, type Key, mergeAuditKey, mergeRecordKey, touchpointLocatorKey, idempotencyKey } from '../db/keys.ts';
import type { PrivacyStore } from '../db/privacy-store.ts';
import { suppressionHash, suppressionItem } from '../db/suppression.ts';
import { toIdentifierList } from '../schemas/identifiers.ts';

type Item = Record<string, unknown>;

export interface EraseOptions {
  /** Keep keyed hashes of the customer's identifiers so that new touchpoints carrying them are refused. */
  suppress: boolean;
  /** Who asked, for the suppression records. */
  actor: string;
  /** True when the time left is too short for another step (Lambda's deadline); the erase then pauses. */
  outOfTime: () => boolean;
  /** Partition items read and deleted per step. */
  pageSize?: number;
}

export interface EraseResult {
  /** `in_progress`: the time ran out; the same request resumes where this one stopped. */
  status: 'erased' | 'in_progress';
  /** The customer asked for, and any customer merged into it (or it into): one person. */
  customerIds: string[];
  itemsDeleted: number;
  identifiersReleased: number;
  /** Keyed hashes now refusing the identifiers (lift one with DELETE /v1/suppressions/{hash}). */
  suppressions: Array<{ type: string; hash: string }>;
}

const maxMergeHops = 5;

/**
 * Erases a customer: every item of its partition (profile, touchpoints, read audit, merge pointers,
 * whatever else is kept there), the identifiers that point to it, its touchpoints' locators and
 * idempotency records, merge candidates and merge records naming it (and the other party's
 * pointer), and any customer merged into it: they were one person.
 *
 * Resumable and idempotent: the profile goes last, so a request interrupted by the Lambda deadline
 * (answered `in_progress`) or by throttling is finished by repeating it.
 */
export async function eraseCustomer(store: PrivacyStore, customerId: string, options: EraseOptions): Promise<EraseResult> {
  const root = await survivorOf(store, customerId);
  const result: EraseResult = { status: 'erased', customerIds: [], itemsDeleted: 0, identifiersReleased: 0, suppressions: [] };
  const visited = new Set<string>();
  const done = await eraseOne(store, root, options, result, visited);
  if (!done) result.status = 'in_progress';
  return result;
}

/** A merged-away customer is the same person as its survivor: the erase follows the chain. */
async function survivorOf(store: PrivacyStore, customerId: string): Promise<string> {
  let current = customerId;
  for (let hops = 0; hops <= maxMergeHops; hops += 1) {
    const profile = await store.readProfile(current);
    if (!profile) {
      if (current !== customerId) return current;
      const leftovers = await store.partitionPage(current, { limit: 1 });
      if (leftovers.items.length === 0) throw new NotFoundError(`No customer has the id ${customerId}.`);
      return current;
    }
    if (typeof profile.mergedInto !== 'string') return current;
    current = profile.mergedInto;
  }
  return current;
}

async function eraseOne(store: PrivacyStore, customerId: string, options: EraseOptions, result: EraseResult, visited: Set<string>): Promise<boolean> {
  if (visited.has(customerId)) return true;
  visited.add(customerId);
  result.customerIds.push(customerId);

  // Merges first, while the pointers still say who was merged into whom.
  for (const record of await store.readMergeRecords(await store.mergePointers(customerId))) {
    const mergeId = record.mergeId as string;
    const others = [record.targetCustomerId, record.sourceCustomerId].filter(
      (other): other is string => typeof other === 'string' && other !== customerId,
    );
    for (const other of others) {
      const profile = await store.readProfile(other);
      if (profile?.mergedInto === customerId && !(await eraseOne(store, other, options, result, visited))) return false;
    }
    result.itemsDeleted += await store.deleteKeys([mergeRecordKey(mergeId), ...others.map((other) => mergeAuditKey(other, mergeId))]);
    if (options.outOfTime()) return false;
  }

  const profile = await store.readProfile(customerId);
  const listed = Object.values((profile?.identifiers as Record<string, AttachedIdentifier> | undefined) ?? {}).map(({ type, value }) => ({ type, value }));
  await releaseIdentifiers(store, customerId, listed, options, result);
  result.itemsDeleted += await store.deleteKeys(await store.mergeCandidateKeysNaming(customerId));

  const pageSize = options.pageSize ?? 200;
  for (;;) {
    if (options.outOfTime()) return false;
    // Always the first page: what was deleted is gone, so the next page starts at the front again.
    const page = await store.partitionPage(customerId, { limit: pageSize });
    if (page.items.length === 0) return true;
    const touchpoints = page.items.filter((item) => isTimelineSortKey(item.sk as string));
    await releaseIdentifiers(store, customerId, touchpoints.flatMap(identifiersOfTouchpoint), options, result);
    const keys: Key[] = page.items.map((item) => ({ pk: customerPartition(customerId), sk: item.sk as string }));
    for (const touchpoint of touchpoints) {
      keys.push(touchpointLocatorKey(touchpoint.touchpointId as string));
      const ref = touchpoint.idempotencyRef as { scope?: unknown; key?: unknown } | undefined;
      if (typeof ref?.scope === 'string' && typeof ref.key === 'string') keys.push(idempotencyKey(ref.scope, ref.key));
    }
    // The profile sorts last, so it is deleted with the last page: until then a repeat can resume.
    result.itemsDeleted += await store.deleteKeys(keys);
  }
}

/** Suppresses (if asked) and then releases the identifiers that point to the customer; others' are left alone. */
async function releaseIdentifiers(
  store: PrivacyStore,
  customerId: string,
  identifiers: Identifier[],
  options: EraseOptions,
  result: EraseResult,
): Promise<void> {
  const seen = new Set(result.suppressions.map((suppression) => suppression.hash));
  const unique = [...new Map(identifiers.filter((identifier) => identifier.type !== 'customerId').map((identifier) => [`${identifier.type}#${identifier.value}`, identifier])).values()];
  for (const identifier of unique) {
    const item = await store.readIdentifier(identifier);
    // Suppressed and let go: identifiers pointing to the customer, and those pointing to nobody
    // (seen only with this customer, or already let go by an interrupted earlier run).
    const ours = item && (item.customerId === customerId || (Array.isArray(item.sharedWith) && item.sharedWith.includes(customerId)));
    if (item && !ours) continue;
    if (options.suppress && !seen.has(suppressionHash(identifier))) {
      // Before the identifier is let go: no moment in which a new touchpoint could slip in.
      const hash = suppressionHash(identifier);
      await store.putSuppressions([suppressionItem(identifier, new Date().toISOString(), options.actor)]);
      result.suppressions.push({ type: identifier.type, hash });
      seen.add(hash);
    }
    if (item && (await store.releaseIdentifier(identifier, customerId, item)) !== 'not-ours') result.identifiersReleased += 1;
  }
}

function identifiersOfTouchpoint(item: Item): Identifier[] {
  try {
    return toIdentifierList((item.identifiers ?? {}) as Parameters<typeof toIdentifierList>[0]);
  } catch {
    return [];
  }
}
