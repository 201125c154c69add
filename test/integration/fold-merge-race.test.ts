import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestTouchpoint } from '../../shared/domain/ingest-touchpoint.ts';
import { type LaneTouchpoint, ingestTouchpoints } from '../../shared/domain/ingest-lane.ts';
import { mergeCustomers } from '../../shared/domain/merge-customers.ts';
import { logger } from '../../shared/observability/logger.ts';
import { touchpointInputSchema } from '../../shared/schemas/touchpoint.ts';
import { detailsFor, unique } from '../fixtures/touchpoints.ts';
import { createGraphTable, customerViews, type GraphStore, type GraphTable, identityGraphProblems, scanItems } from '../helpers/identity-graph.ts';

/**
 * A sender's folded lane (one card update for all its touchpoints, shared/domain/ingest-lane.ts)
 * racing a merge of its customer, with the merge forced in at the unlucky moment by a store wrapper.
 * The fold's fast card update is blind (counters added, the newest live contact set), so whatever the order, the survivor must end as it would had the merge run first and
 * the lane's touchpoints been posted one by one after it: each race is replayed that way on a
 * second pair of customers fed the same touchpoints, and the two survivors' cards and timelines
 * compared.
 */
let table: GraphTable;

beforeAll(async () => {
  table = await createGraphTable();
});

afterAll(async () => {
  await table?.drop();
});

const actor = 'fold-race-test';
const base = Date.now() - 3_600_000;
const at = (minute: number) => new Date(base + minute * 60_000).toISOString();

interface Visit {
  channel: 'web_visit' | 'chat';
  minute: number;
  page: string;
}

function laneOf(anonymousId: string, visits: readonly Visit[], receivedAt: Date): LaneTouchpoint[] {
  return visits.map(({ channel, minute, page }) => ({
    input: touchpointInputSchema.parse({
      channel,
      identifiers: { anonymousId },
      source: 'website',
      occurredAt: at(minute),
      summary: page,
      details: channel === 'web_visit' ? { ...detailsFor('web_visit'), url: `https://www.example.org/${page}` } : detailsFor('chat'),
    }),
    context: { receivedAt, requestFingerprint: unique(), log: logger },
  }));
}

/** Records a lane as the batch route does: folded where it can be, the rest one by one; how many folded writes landed. */
async function recordLane(laneStore: GraphStore, lane: LaneTouchpoint[]): Promise<number> {
  let folded = 0;
  const store: GraphStore = {
    ...laneStore,
    recordTouchpoints: async (write) => {
      await laneStore.recordTouchpoints(write);
      folded += 1;
    },
  };
  const answers = await ingestTouchpoints(store, lane, async (index) => {
    const { input, context } = lane[index] as LaneTouchpoint;
    await ingestTouchpoint(store, input, context);
  });
  for (const answer of answers) if (answer && 'error' in answer) throw answer.error;
  return folded;
}

async function visitor(store: GraphStore, visits: readonly Visit[]): Promise<{ anonymousId: string; customerId: string }> {
  const anonymousId = `cookie-${unique()}`;
  let customerId = '';
  for (const item of laneOf(anonymousId, visits, new Date())) ({ customerId } = await ingestTouchpoint(store, item.input, item.context));
  return { anonymousId, customerId };
}

const merge = (store: GraphStore, targetCustomerId: string, sourceCustomerId: string) =>
  mergeCustomers(store, { targetCustomerId, sourceCustomerId, reason: 'fold race', actor }, new Date());

/** What staff see of the survivor, without what names a customer or a moment of writing. */
async function survivorSeen(customerId: string) {
  const { customer, timeline } = await customerViews(table.store, customerId);
  const { lastContact, ...card } = customer.card;
  return {
    card: { ...card, lastContact: lastContact && { channel: lastContact.channel, occurredAt: lastContact.occurredAt, summary: lastContact.summary } },
    timeline: (timeline as Array<{ channel: string; occurredAt: string; summary: string }>).map(({ channel, occurredAt, summary }) => ({
      channel,
      occurredAt,
      summary,
    })),
  };
}

/** A store that, once, runs `meanwhile` to its end right before the call `when` picks goes on. */
function interleaved(when: 'recordTouchpoints' | 'replaceProfile', meanwhile: () => Promise<unknown>): GraphStore & { ran: () => boolean } {
  let ran = false;
  const once = async () => {
    if (ran) return;
    ran = true;
    await meanwhile();
  };
  return {
    ...table.store,
    recordTouchpoints: async (write) => {
      if (when === 'recordTouchpoints') await once();
      return table.store.recordTouchpoints(write);
    },
    replaceProfile: async (id, replacement) => {
      if (when === 'replaceProfile' && !replacement.revive) await once();
      return table.store.replaceProfile(id, replacement);
    },
    ran: () => ran,
  };
}

const visits = (minutes: number[], prefix: string): Visit[] => minutes.map((minute, index) => ({ channel: 'web_visit', minute, page: `${prefix}-${index}` }));

interface Race {
  /** The lane's sender: the customer merged away, or the survivor. */
  laneOn: 'source' | 'target';
  /** Where the other party of the race comes in. */
  when: 'recordTouchpoints' | 'replaceProfile';
  source: Visit[];
  target: Visit[];
  lane: Visit[];
}

/** The race, then the same touchpoints on a fresh pair: the merge, then the lane one by one; both survivors as staff see them. */
async function runRace(race: Race) {
  const raced = { source: await visitor(table.store, race.source), target: await visitor(table.store, race.target) };
  const lane = laneOf(raced[race.laneOn].anonymousId, race.lane, new Date());
  let store: GraphStore & { ran: () => boolean };
  let racedFolds = 0;
  if (race.when === 'recordTouchpoints') {
    store = interleaved('recordTouchpoints', () => merge(table.store, raced.target.customerId, raced.source.customerId));
    racedFolds = await recordLane(store, lane);
  } else {
    store = interleaved('replaceProfile', async () => {
      racedFolds = await recordLane(table.store, lane);
    });
    await merge(store, raced.target.customerId, raced.source.customerId);
  }
  expect(store.ran(), 'the race took place').toBe(true);

  const calm = { source: await visitor(table.store, race.source), target: await visitor(table.store, race.target) };
  await merge(table.store, calm.target.customerId, calm.source.customerId);
  for (const { input, context } of laneOf(calm[race.laneOn].anonymousId, race.lane, new Date())) await ingestTouchpoint(table.store, input, context);

  expect(await identityGraphProblems(table.tableName, { customerIds: [raced.source.customerId, raced.target.customerId] })).toEqual([]);
  const leftOnSource = (await scanItems(table.tableName)).filter((item) => item.entity === 'touchpoint' && item.customerId === raced.source.customerId);
  expect(leftOnSource).toEqual([]);
  return { racedFolds, raced: await survivorSeen(raced.target.customerId), calm: await survivorSeen(calm.target.customerId) };
}

describe('a folded lane racing a merge ends as the two one after the other', () => {
  // Each survivor holds 11-12 touchpoints before the lane, well inside a frequency band (10 to 25),
  // so the fold's fast update, not its exact retry, is what meets the merge.
  const lane = visits([50, 51, 52, 53, 54, 55], 'lane');

  // Folds: the folded writes that landed. On a customer merged away since the fold read it, the write
  // is refused and the lane goes one by one to the survivor; the fold run inside the merge finds
  // the identifier on the survivor already.
  it.each([
    ['the merge runs between the fold reading the customer and writing', 'recordTouchpoints', 0],
    ['the fold runs while the merge recomputes the survivor', 'replaceProfile', 1],
  ] as const)('a lane of the customer merged away: %s', async (_, when, folds) => {
    const { racedFolds, raced, calm } = await runRace({
      laneOn: 'source',
      when,
      source: visits([1, 2, 3], 'source'),
      target: visits([10, 11, 12, 13, 14, 15, 16, 17], 'target'),
      lane,
    });
    expect(raced.timeline).toHaveLength(17);
    expect(racedFolds).toBe(folds);
    expect(raced).toEqual(calm);
  });

  // A page of the merged customer among the lane's pages, or newer than all of them: it must stay on
  // the survivor's timeline and among the card's pages, which are read from it.
  it.each([
    ['between the lane’s pages', 'the merge runs between the fold reading the survivor and writing', 52.5, 'recordTouchpoints'],
    ['between the lane’s pages', 'the fold runs while the merge recomputes the survivor', 52.5, 'replaceProfile'],
    ['newer than the whole lane', 'the merge runs between the fold reading the survivor and writing', 58, 'recordTouchpoints'],
    ['newer than the whole lane', 'the fold runs while the merge recomputes the survivor', 58, 'replaceProfile'],
  ] as const)('a lane of the survivor, the merged customer holding a page %s: %s', async (_, _race, minute, when) => {
    const source = [...visits([20, 21], 'source'), { channel: 'web_visit' as const, minute, page: 'source-newer' }];
    const { racedFolds, raced, calm } = await runRace({ laneOn: 'target', when, source, target: visits([30, 31, 32, 33, 34, 35, 36, 37], 'target'), lane });
    expect(raced.timeline).toHaveLength(17);
    expect(racedFolds).toBe(1);
    expect(raced.timeline).toContainEqual({ channel: 'web_visit', occurredAt: at(minute), summary: 'source-newer' });
    expect(raced.card.recentPages).toContainEqual(expect.objectContaining({ url: 'https://www.example.org/source-newer' }));
    expect(raced).toEqual(calm);
  });

  it.each([
    ['the merge runs between the fold reading the survivor and writing', 'recordTouchpoints', 1],
    ['the fold runs while the merge recomputes the survivor', 'replaceProfile', 1],
  ] as const)('a lane of the survivor, every page of the merged customer older: %s', async (_, when, folds) => {
    const { racedFolds, raced, calm } = await runRace({
      laneOn: 'target',
      when,
      source: visits([5, 6, 7, 8, 9, 10], 'source'),
      target: visits([30, 31, 32, 33, 34, 35], 'target'),
      lane,
    });
    expect(raced.timeline).toHaveLength(18);
    expect(racedFolds).toBe(folds);
    expect(raced).toEqual(calm);
  });
});
