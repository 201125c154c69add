import { ConflictError, NotFoundError, StoreUnavailableError } from '../domain/errors.ts';
import { type Identifier, identifierKey } from '../domain/identifiers.ts';
import { holdersBesidesParties } from '../domain/identity-history.ts';
import type { MergeRecord } from '../domain/identity-store.ts';
import type { DeletedRecord, ErasureReceipt, PartitionRecord, PrivacyStore, StoredAttributes, TouchpointRecord } from '../domain/privacy-store.ts';
import { findSubject, foreignTouchpoint, heldByOthers, membersOf, recordRole, soleValues, withoutHolders } from './person.ts';
import { attributeChanges, identifiersOf, redactText } from './redaction.ts';

/** Card attributes that copy text from touchpoints, so may quote a redacted one. */
const cardQuotes = ['lastContact', 'lateContacts', 'invoiceQueries'];

export interface EraseOptions {
  /** Keep keyed hashes of the customer's identifiers so that new touchpoints carrying them are refused. */
  suppress: boolean;
  /** Who asked, for the suppression records. */
  actor: string;
  /** True when the time left is too short for another step (Lambda's deadline); the erase then pauses. */
  outOfTime: () => boolean;
  /** Partition items read and deleted per step. */
  pageSize?: number;
  now?: Date;
}

export interface EraseResult {
  /** `in_progress`: the time ran out; the same request resumes where this one stopped. */
  status: 'erased' | 'in_progress';
  /**
   * The customer asked for, and any customer merged into it (or it into): one person. Absent on a
   * replay: the receipt keeps no customer id (the client knows the one it asked for).
   */
  customerIds?: string[];
  /** A repeat of an erase that had finished: its receipt's answer (counts and suppressions as they were). */
  replayed?: true;
  itemsDeleted: number;
  /** Other customers' records that mentioned the person, kept with the mention taken out. */
  itemsRedacted: number;
  identifiersReleased: number;
  /** Keyed hashes now refusing the identifiers (lift one with DELETE /v1/suppressions/{hash}). */
  suppressions: Array<{ type: string; hash: string }>;
}

/**
 * Erases a person: the customer asked for, its survivor if it was merged away, and every customer
 * merged into them (one person). All of it or, until a repeat finishes it, none of it to a reader:
 *
 * 1. Nothing is changed until one conditional write marks the survivor's profile (and its card,
 *    atomically) as under erasure (a customer an undo holds is refused with 409 before that). From
 *    then on every reader sees nobody (404, and merged-away ids lead to nobody) and every writer
 *    refuses the customer.
 * 2. Then each member, merged-away ones first, the survivor last: its identifiers are suppressed
 *    (if asked) and released (shared ones handed to the others), its partition deleted page by page
 *    (touchpoints with their locators and idempotency records, read audit, pointers, the profile
 *    and its card last, together),
 *    and what its pointers lead to elsewhere redacted: other customers' touchpoints that carried its
 *    identifiers or named it, merge and move records with other customers; merge candidates naming
 *    it are deleted. The records joining members go last, once the merged-away member is gone, so
 *    that a repeat still finds every member.
 *
 * Every step is idempotent and reads what is left, so an erase cut short (deadline: 202; a fault:
 * 503) is finished by posting it again.
 */
export async function eraseCustomer(store: PrivacyStore, customerId: string, options: EraseOptions): Promise<EraseResult> {
  const now = (options.now ?? new Date()).toISOString();
  let subject: string;
  try {
    subject = await persist(() => markForErasure(store, customerId, now));
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    // Nobody by this id: either an erase took it (answer as that erase did) or it never was (404).
    const receipt = await persist(() => store.readErasureReceipt(customerId));
    if (!receipt) throw error;
    return { status: 'erased', replayed: true, ...receiptCounts(receipt) };
  }
  const members = await persist(() => membersOf(store, subject));
  const run = new EraseRun(store, members, options, await persist(() => soleValues(store, members)), now);
  // Merged-away members first: the records that make them members are deleted when each is gone.
  for (const member of [...members].reverse()) {
    if (!(await run.eraseMember(member))) return run.result('in_progress', members);
  }
  await run.keepReceipt();
  return run.result('erased', members);
}

function receiptCounts(receipt: ErasureReceipt): Omit<EraseResult, 'status' | 'customerIds' | 'replayed'> {
  const { itemsDeleted, itemsRedacted, identifiersReleased, suppressions } = receipt;
  return { itemsDeleted, itemsRedacted, identifiersReleased, suppressions };
}

/** The items a customer is (its profile and its card), deleted together by the deletion of either. */
const customerItems = 2;

/** Tries of one step that DynamoDB could not take: every step reads what is left, so it can simply run again. */
const stepAttempts = 4;

/**
 * Runs one idempotent step, again when the store gives way (throttled, timed out, a write whose
 * answer was lost): a blip costs a short wait, not a failed request. Past the tries the 503 goes
 * out, and a repeat of the request resumes.
 */
async function persist<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || attempt >= stepAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * (0.5 + Math.random() / 2)));
    }
  }
}

/**
 * Waits for a merge or undo that holds the customer while it runs (well under a second): an erase
 * sent meanwhile goes on once it is done. A lock held longer is a merge cut short, which its repeat
 * or the repair job finishes: then the erase answers 409.
 */
const lockWaitsMs = [50, 100, 200, 400, 800, 1600];

/** Marks the survivor (once); answers which customer is the survivor. */
async function markForErasure(store: PrivacyStore, customerId: string, startedAt: string): Promise<string> {
  let lockedWaits = 0;
  for (let attempt = 1; ; attempt += 1) {
    const subject = await findSubject(store, customerId, 'erasable');
    if (!subject.profile || subject.profile.erasing) return subject.customerId;
    const mark = await store.markErasing(subject.customerId, startedAt);
    if (mark === 'marked' || mark === 'already-erasing') return subject.customerId;
    const wait = mark === 'locked' ? lockWaitsMs[lockedWaits++] : undefined;
    if (wait !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    if (mark === 'locked' || attempt >= 3) {
      throw new ConflictError(`Customer ${subject.customerId} is being merged or a merge of it is being undone; finish that (post it again), then erase.`, {
        customerId: subject.customerId,
      });
    }
  }
}

class EraseRun {
  private readonly counts = { itemsDeleted: 0, itemsRedacted: 0, identifiersReleased: 0 };
  private readonly suppressions: Array<{ type: string; hash: string }> = [];
  /** Identifiers already settled in this run, by identifierKey. */
  private readonly settled = new Set<string>();
  /** Ids and values that are the person's alone: redacted wherever another record quotes them. */
  private readonly needles: string[];
  private readonly members: ReadonlySet<string>;
  /** The receipt as last written (before the survivor's profile went), so the last one is written only if it changed. */
  private written: string | undefined;

  constructor(
    private readonly store: PrivacyStore,
    /** The survivor first. */
    private readonly memberList: readonly string[],
    private readonly options: EraseOptions,
    values: string[],
    private readonly erasedAt: string,
  ) {
    this.members = new Set(memberList);
    this.needles = [...memberList, ...values];
  }

  result(status: EraseResult['status'], members: string[]): EraseResult {
    return { status, customerIds: members, ...this.counts, suppressions: this.suppressions };
  }

  /**
   * The erase's receipt, under every member's keyed id hash, for repeats whose first try finished
   * (its answer lost): written before the survivor's profile goes, so no moment leaves the person
   * gone without one, and again at the end if the counts moved since (`pending` items still to go).
   */
  async keepReceipt(pending = 0): Promise<void> {
    const receipt: ErasureReceipt = { erasedAt: this.erasedAt, ...this.counts, suppressions: this.suppressions };
    receipt.itemsDeleted += pending;
    const text = JSON.stringify(receipt);
    if (text === this.written) return;
    await persist(() => this.store.putErasureReceipts(this.memberList, receipt));
    this.written = text;
  }

  /** Erases one member; false if the time ran out first (a repeat resumes). */
  async eraseMember(customerId: string): Promise<boolean> {
    const profile = await persist(() => this.store.readProfile(customerId));
    await this.release((profile?.identifiers ?? []).map(({ type, value }) => ({ type, value })));
    /** Pointers to records joining this member to the survivor: deleted once the member is gone. */
    const joining = new Set<string>();
    // Passes until one finds nothing left but those pointers: anything that landed meanwhile goes too.
    // Once the profile is gone the confirming pass runs whatever the time: an erase that is done
    // must not answer in_progress (its repeat would find nobody: 404).
    for (;;) {
      if (this.options.outOfTime()) return false;
      const { removed, profileGone } = await this.pass(customerId, joining);
      if (removed === 0) break;
      if (profileGone) {
        const confirm = await this.pass(customerId, joining);
        if (confirm.removed === 0) break;
      }
    }
    for (const mergeId of joining) {
      const [record] = await persist(() => this.store.readMergeRecords([mergeId]));
      const target = record?.targetCustomerId;
      const records: DeletedRecord[] = [
        { mergeRecord: mergeId },
        { mergePointer: { customerId, mergeId } },
        ...(target ? [{ mergePointer: { customerId: target, mergeId } }] : []),
        ...(record ? sharerPointers(record) : []),
      ];
      this.counts.itemsDeleted += await persist(() => this.store.deleteRecords(records));
    }
    return true;
  }

  /**
   * One pass over the member's partition, oldest sort key first (the profile and its card last):
   * how many items went, the profile among them? The card sorts just before the profile, so
   * meeting either means everything else of the pass is behind: both go then, together.
   */
  private async pass(customerId: string, joining: Set<string>): Promise<{ removed: number; profileGone: boolean }> {
    let removed = 0;
    let profileGone = false;
    let cursor: string | undefined;
    do {
      const from = cursor;
      const page = await persist(() => this.store.partitionPage(customerId, { limit: this.options.pageSize ?? 200, ...(from ? { cursor: from } : {}) }));
      const deletions: DeletedRecord[] = [];
      let profileRecord: PartitionRecord | undefined;
      for (const record of page.records) {
        if (record.kind === 'profile' || record.kind === 'card') {
          profileRecord ??= record;
          continue;
        }
        if (record.kind === 'mergePointer' && !(await persist(() => this.settleMergePointer(customerId, record.mergeId, joining)))) continue;
        if (record.kind === 'touchpoint') deletions.push(await this.settleTouchpoint(record));
        if (record.kind === 'identifierClaim') await this.release([record.identifier]);
        if (record.kind === 'mention') await persist(() => this.redactTouchpointOf(record.touchpointId));
        if (record.kind === 'mergeSharer') await persist(() => this.leaveMergeStates(record.mergeId));
        if (record.kind === 'candidateHalf') deletions.push(...(await persist(() => this.settleCandidate(customerId, record.otherCustomerId))));
        deletions.push(record);
      }
      let deleted = await persist(() => this.store.deleteRecords(deletions));
      // The profile after everything else of the partition: while it stands, a repeat finds the member.
      const profile = profileRecord;
      if (profile) {
        if (customerId === this.memberList[0]) await this.keepReceipt(deleted + customerItems);
        deleted += await persist(() => this.store.deleteRecords([profile]));
        profileGone = true;
      }
      this.counts.itemsDeleted += deleted;
      removed += deleted;
      cursor = page.nextCursor ?? undefined;
      if (cursor && this.options.outOfTime()) return { removed, profileGone };
    } while (cursor);
    return { removed, profileGone };
  }

  /** A merge/move pointer: true when it can go now; a record joining this member to the survivor waits. */
  private async settleMergePointer(customerId: string, mergeId: string, joining: Set<string>): Promise<boolean> {
    const [record] = await this.store.readMergeRecords([mergeId]);
    if (!record) return true;
    await this.release(recordIdentifiers(record));
    const role = recordRole(record, this.members);
    if (role.internal) {
      if (role.mergedMember === customerId) {
        joining.add(mergeId);
        return false;
      }
      // The survivor's side of a member's merge: deleted with that member (erased before the survivor).
      if (role.mergedMember) return false;
      this.counts.itemsDeleted += await this.store.deleteRecords([
        { mergeRecord: mergeId },
        ...otherPointers(record, customerId, mergeId),
        ...sharerPointers(record),
      ]);
      return true;
    }
    // With another customer (an undone merge, a move): it is theirs too, so it stays, without the person.
    if (record.kind === 'move' && typeof record.touchpointId === 'string') await this.redactTouchpointOf(record.touchpointId);
    // What the erased target had chosen before the merge is theirs alone.
    const withoutChoices = this.members.has(record.targetCustomerId) && record.targetBefore ? { ...record.stored, targetBefore: null } : record.stored;
    const redacted = redactText(withoutChoices, this.needles) as StoredAttributes;
    if (redacted === record.stored) return true;
    // Changed meanwhile (the other customer's erase redacted it too): the step reads it again.
    if (!(await this.store.rewriteMergeRecord(mergeId, attributeChanges(record.stored, redacted), record.stored)))
      throw new StoreUnavailableError('A merge record changed during the erase; repeat the request to finish it.');
    this.counts.itemsRedacted += 1;
    return true;
  }

  /**
   * A merge between two other customers named a member as a holder of an identifier it moved (kept
   * for its undo): the member comes out of its states, so the undo gives the identifier back
   * without it. Guarded by the states as read: a merge replanning meanwhile is read again.
   */
  private async leaveMergeStates(mergeId: string): Promise<void> {
    let waits = 0;
    for (let attempt = 1; attempt <= 3; ) {
      const [record] = await this.store.readMergeRecords([mergeId]);
      if (!record) return;
      const parties = [record.sourceCustomerId, record.targetCustomerId];
      const states = withoutHolders(record.identifierStates, new Set([...this.members].filter((member) => !parties.includes(member))));
      if (!states) return;
      // A merge or undo under way works from the states it read: it would write the person back.
      if (record.status === 'in_progress' || record.status === 'undoing') {
        const wait = lockWaitsMs[waits++];
        if (wait === undefined) throw new StoreUnavailableError('A merge naming the customer is still running; repeat the request to finish the erase.');
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (await this.store.rewriteMergeRecord(mergeId, { set: { identifierStates: states }, remove: [] }, record.stored)) {
        this.counts.itemsRedacted += 1;
        return;
      }
      attempt += 1;
    }
    throw new StoreUnavailableError('A merge naming the customer changed during the erase; repeat the request to finish it.');
  }

  /** The touchpoint's identifiers released; its locator goes with it, and the idempotency record it carries. */
  private async settleTouchpoint(touchpoint: TouchpointRecord): Promise<DeletedRecord> {
    await this.release(identifiersOf(touchpoint.stored.identifiers));
    return { touchpointLocator: touchpoint.touchpointId };
  }

  /** A merge candidate pairing the member with another customer: nothing left to merge, so it goes, with both halves. */
  private async settleCandidate(customerId: string, otherCustomerId: string): Promise<DeletedRecord[]> {
    const candidate = await this.store.readMergeCandidate([customerId, otherCustomerId]);
    if (candidate?.lastTouchpointId !== undefined) await this.redactTouchpointOf(candidate.lastTouchpointId);
    return [{ mergeCandidate: [customerId, otherCustomerId] }, { candidateHalf: { customerId: otherCustomerId, otherCustomerId: customerId } }];
  }

  /** Another customer's touchpoint mentioning the person: redacted in place, and its idempotency record's answer too. */
  private async redactTouchpointOf(touchpointId: string): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const found = await foreignTouchpoint(this.store, touchpointId, this.members, this.needles);
      if (!found?.redaction.redacted) break;
      // False when a merge or move carried it elsewhere meanwhile: read it again where it is now.
      if (await this.store.rewriteTouchpoint(found.touchpoint, attributeChanges(found.touchpoint.stored, found.redaction.redacted))) {
        this.counts.itemsRedacted += 1;
        break;
      }
    }
    const touchpoint = await this.store.readTouchpoint(touchpointId);
    if (!touchpoint || this.members.has(touchpoint.customerId)) return;
    // Also when an earlier try redacted the touchpoint and gave way before the card.
    for (const customerId of await this.cardsQuoting(touchpoint)) await this.redactCardOf(customerId);
    await this.redactCandidatesOf(touchpoint.customerId);
    // Posted with an Idempotency-Key, its locator carries the answer a replay gives.
    const result = await this.store.readLocatorAnswer(touchpointId);
    if (!result) return;
    // A replay answers where the touchpoint is now (its customer did not come into being by it), never a redaction mark as an id.
    const current =
      result.customerId !== undefined && this.members.has(result.customerId as string)
        ? { ...result, customerId: touchpoint.customerId, customerCreated: false }
        : result;
    const redacted = redactText(current, this.needles) as StoredAttributes;
    if (redacted !== result && (await this.store.rewriteLocatorAnswer(touchpointId, redacted))) this.counts.itemsRedacted += 1;
  }

  /**
   * The cards that may quote a touchpoint: its customer's, and those of the customers a merge
   * carried it away from, whose cards stay as they were when they were merged away.
   */
  private async cardsQuoting(touchpoint: TouchpointRecord): Promise<string[]> {
    const movedBy = Array.isArray(touchpoint.stored.movedBy) ? touchpoint.stored.movedBy.filter((id): id is string => typeof id === 'string') : [];
    const carriedFrom = movedBy.length > 0 ? (await this.store.readMergeRecords(movedBy)).map((record) => record.sourceCustomerId) : [];
    return [...new Set([touchpoint.customerId, ...carriedFrom])].filter((customerId) => !this.members.has(customerId));
  }

  /**
   * Merge candidates pairing the customer of a redacted touchpoint with another may list the
   * person's identifier it carried (its holder then was another customer, since merged away from
   * the person and parted by an undo): redacted too, guarded on the candidate as read.
   */
  private async redactCandidatesOf(customerId: string): Promise<void> {
    for (const partner of await this.store.candidatePartners(customerId)) {
      if (!this.members.has(partner)) await this.redactCandidate([customerId, partner]);
    }
  }

  private async redactCandidate(customerIds: [string, string]): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const candidate = await this.store.readMergeCandidate(customerIds);
      if (!candidate) return;
      const redacted = redactText(candidate.stored, this.needles) as StoredAttributes;
      if (redacted === candidate.stored) return;
      // Guarded on the candidate as read: a touchpoint showing the conflict again meanwhile is read again.
      if (await this.store.rewriteMergeCandidate(customerIds, attributeChanges(candidate.stored, redacted), candidate.stored)) {
        this.counts.itemsRedacted += 1;
        return;
      }
    }
    throw new StoreUnavailableError('A merge candidate quoting the person kept changing; repeat the request to finish the erase.');
  }

  /** The card of a customer whose touchpoint was redacted quotes it (last contact, late contacts, invoice queries): redacted too. */
  private async redactCardOf(customerId: string): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const profile = await this.store.readProfile(customerId);
      if (!profile || profile.erasing) return;
      const quoted = Object.fromEntries(cardQuotes.filter((name) => profile.stored[name] !== undefined).map((name) => [name, profile.stored[name]]));
      const redacted = redactText(quoted, this.needles) as StoredAttributes;
      if (redacted === quoted) return;
      const changed = Object.fromEntries(Object.entries(redacted).filter(([name, value]) => value !== quoted[name]));
      if (await this.store.rewriteProfileAttributes(customerId, changed, profile.cardVersion)) {
        this.counts.itemsRedacted += 1;
        return;
      }
    }
    // Its card kept moving on (a busy customer): the step runs again, or a repeat of the erase does.
    throw new StoreUnavailableError('Another customer quoting the person kept changing; repeat the request to finish the erase.');
  }

  /**
   * Settles identifiers the person may hold: suppressed (if asked) when nobody else holds them, then
   * let go. One that someone outside the person holds too (shared) goes to them and stays theirs.
   */
  private async release(identifiers: Identifier[]): Promise<void> {
    for (const identifier of identifiers) {
      if (identifier.type === 'customerId' || typeof identifier.value !== 'string') continue;
      if (!this.settled.has(identifierKey(identifier))) await persist(() => this.releaseOne(identifier));
    }
  }

  /**
   * One identifier: read, suppressed if nobody else keeps it, let go. The last merge that moved it
   * may name the person among its holders without a pointer of theirs (planned while their erase
   * began): the person comes out of its states too.
   */
  private async releaseOne(identifier: Identifier): Promise<void> {
    const holders = await this.store.readIdentifier(identifier);
    if (holders?.lastMergeId) await this.leaveMergeStates(holders.lastMergeId);
    const ours = !holders || this.members.has(holders.customerId) || holders.sharedWith.some((customerId) => this.members.has(customerId));
    if (ours && !heldByOthers(holders, this.members)) {
      this.needles.push(identifier.value);
      // Before the identifier is let go: no moment in which a new touchpoint could slip in.
      if (this.options.suppress) await this.suppress(identifier);
    }
    if (ours && holders && (await this.store.releaseIdentifier(identifier, this.members, holders)) !== 'not-ours') this.counts.identifiersReleased += 1;
    this.settled.add(identifierKey(identifier));
  }

  private async suppress(identifier: Identifier): Promise<void> {
    const hash = this.store.suppressionHash(identifier);
    if (this.suppressions.some((suppression) => suppression.hash === hash)) return;
    await this.store.suppress(identifier, (this.options.now ?? new Date()).toISOString(), this.options.actor);
    this.suppressions.push({ type: identifier.type, hash });
  }
}

/** Identifiers a merge record moved: the person's if they still point at a member. */
function recordIdentifiers(record: MergeRecord): Identifier[] {
  return [...record.movedIdentifiers, ...record.identifierStates.flatMap((state) => (state.identifier ? [state.identifier] : []))];
}

function otherPointers(record: MergeRecord, customerId: string, mergeId: string): DeletedRecord[] {
  return [record.targetCustomerId, record.sourceCustomerId]
    .filter((other) => other !== customerId)
    .map((other) => ({ mergePointer: { customerId: other, mergeId } }));
}

/** The pointers of the customers a merge record names besides its parties: they go with the record. */
function sharerPointers(record: MergeRecord): DeletedRecord[] {
  return holdersBesidesParties(record, record.identifierStates).map((customerId) => ({ mergeSharer: { customerId, mergeId: record.mergeId } }));
}
