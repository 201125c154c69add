import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldCard } from '../../shared/domain/identity-steps.ts';
import { strictestPermissions, strictestPreferences } from '../../shared/domain/merge-customers.ts';
import type { StoredTouchpoint } from '../../shared/domain/identity-store.ts';
import type { ContactChannel, ContactPreferences, IdentifierPermissions, Permission } from '../../shared/domain/model.ts';
import type { Channel } from '../../shared/schemas/touchpoint.ts';

const now = new Date('2026-11-23T12:00:00.000Z');
const contactChannels: ContactChannel[] = ['phone', 'email', 'sms', 'mail'];

interface TouchpointSeed {
  channel: Channel;
  minutesBefore: number;
  value: number | undefined;
  queryId: string;
  status: 'open' | 'in_progress' | 'resolved';
  url: string;
}

const seedArbitrary: fc.Arbitrary<TouchpointSeed> = fc.record({
  channel: fc.constantFrom<Channel>('call', 'email', 'web_visit', 'invoice_query', 'sms'),
  // A few minutes apart (ties included) or up to 400 days back (recency scores, resolved-query pruning).
  minutesBefore: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 400 * 24 * 60 })),
  value: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: undefined }),
  queryId: fc.constantFrom('Q-1', 'Q-2', 'Q-3'),
  status: fc.constantFrom('open', 'in_progress', 'resolved'),
  url: fc.constantFrom('https://www.example.org/a', 'https://www.example.org/b', 'https://www.example.org/c'),
});

function touchpointFrom(seed: TouchpointSeed, index: number, prefix = 'A'): StoredTouchpoint {
  const occurredAt = new Date(now.getTime() - seed.minutesBefore * 60_000).toISOString();
  const details: Record<string, unknown> =
    seed.channel === 'invoice_query'
      ? { invoiceNumber: `INV-${seed.queryId}`, queryId: seed.queryId, status: seed.status, amount: { value: 10, currency: 'GBP' } }
      : seed.channel === 'web_visit'
        ? { url: seed.url, title: 'A page' }
        : {};
  const touchpoint = {
    // ULID-like ids that sort by index, so that the tie-break on equal times is exercised.
    touchpointId: `tp_${prefix}${String(index).padStart(25, '0')}`,
    customerId: 'cus_01JDQ7ZKX3F8V6M2N4P5R7S9TB',
    channel: seed.channel,
    occurredAt,
    receivedAt: occurredAt,
    source: 'unit-test',
    identifiers: { phone: '+442079460018' },
    summary: `${seed.channel} ${index}`,
    details,
    ...(seed.value === undefined ? {} : { value: seed.value }),
    movedBy: [] as string[],
  };
  // The item as stored rides along with a touchpoint that moves; folding a card never reads it.
  return { ...touchpoint, stored: { ...touchpoint } } as StoredTouchpoint;
}

const touchpointsArbitrary = (prefix = 'A', maxLength = 15) =>
  fc.array(seedArbitrary, { minLength: 1, maxLength }).map((seeds) => seeds.map((seed, index) => touchpointFrom(seed, index, prefix)));

describe('foldCard', () => {
  it('gives the same card for any order of the same touchpoints', () => {
    fc.assert(
      fc.property(
        touchpointsArbitrary().chain((touchpoints) =>
          fc.tuple(fc.constant(touchpoints), fc.shuffledSubarray(touchpoints, { minLength: touchpoints.length, maxLength: touchpoints.length })),
        ),
        ([touchpoints, permutation]) => {
          expect(foldCard(permutation, now, 7)).toEqual(foldCard(touchpoints, now, 7));
        },
      ),
      { seed: 20261123, numRuns: 200 },
    );
  });

  it('gives the same card whichever customer of a merge is folded first', () => {
    fc.assert(
      fc.property(touchpointsArbitrary('A', 8), touchpointsArbitrary('B', 8), (target, source) => {
        expect(foldCard([...source, ...target], now, 3)).toEqual(foldCard([...target, ...source], now, 3));
      }),
      { seed: 20261124, numRuns: 100 },
    );
  });

  it("counts both customers' touchpoints, per channel, after a merge", () => {
    fc.assert(
      fc.property(touchpointsArbitrary('A', 8), touchpointsArbitrary('B', 8), (target, source) => {
        const merged = foldCard([...target, ...source], now, 1);
        const [targetCard, sourceCard] = [foldCard(target, now, 1), foldCard(source, now, 1)];

        expect(merged.touchpointCount).toBe(targetCard.touchpointCount + sourceCard.touchpointCount);
        for (const channel of Object.keys(merged.countsByChannel) as Channel[]) {
          expect(merged.countsByChannel[channel]).toBe(targetCard.countsByChannel[channel] + sourceCard.countsByChannel[channel]);
        }
      }),
      { seed: 20261125, numRuns: 100 },
    );
  });

  it("takes the newer of the two customers' last contacts after a merge", () => {
    fc.assert(
      fc.property(touchpointsArbitrary('A', 8), touchpointsArbitrary('B', 8), (target, source) => {
        const merged = foldCard([...target, ...source], now, 1);
        const newest = [...target, ...source]
          .map((touchpoint) => touchpoint.occurredAt)
          .sort()
          .at(-1);

        expect(merged.lastContact?.occurredAt).toBe(newest);
      }),
      { seed: 20261126, numRuns: 100 },
    );
  });

  it('stamps the card with the version it is given', () => {
    const card = foldCard([touchpointFrom({ channel: 'call', minutesBefore: 5, value: undefined, queryId: 'Q-1', status: 'open', url: '' }, 0)], now, 42);

    expect(card.version).toBe(42);
  });

  it('gives the empty card, with the version given, for a customer without touchpoints', () => {
    const card = foldCard([], now, 2);

    expect(card).toMatchObject({ version: 2, touchpointCount: 0, lastContact: null, monetaryTotal: 0 });
  });
});

const permissionArbitrary = fc.option(fc.constantFrom<Permission>('opted_in', 'opted_out'), { nil: undefined });
const channelsArbitrary = fc.record(
  { phone: permissionArbitrary, email: permissionArbitrary, sms: permissionArbitrary, mail: permissionArbitrary },
  { requiredKeys: [] },
);

function preferences(channels: ContactPreferences['channels'], extra: Partial<ContactPreferences> = {}): ContactPreferences {
  return { channels, preferredChannel: null, quietHours: null, updatedAt: '2026-11-01T00:00:00.000Z', ...extra };
}

/** What a merge may do to one channel: an opt-out on either side stays; an opt-in survives only without one. */
function expectedStrictest(a: Permission | undefined, b: Permission | undefined): Permission | undefined {
  if (a === 'opted_out' || b === 'opted_out') return 'opted_out';
  return a ?? b;
}

describe('strictestPreferences', () => {
  it("keeps the source's opt-out over the target's opt-in", () => {
    const merged = strictestPreferences(preferences({ email: 'opted_in' }), preferences({ email: 'opted_out' }));

    expect(merged?.channels.email).toBe('opted_out');
  });

  it("keeps the target's opt-out over the source's opt-in", () => {
    const merged = strictestPreferences(preferences({ sms: 'opted_out' }), preferences({ sms: 'opted_in' }));

    expect(merged?.channels.sms).toBe('opted_out');
  });

  it('never lets an opt-in on one side undo an opt-out on the other, for any channels (never the union)', () => {
    fc.assert(
      fc.property(channelsArbitrary, channelsArbitrary, (targetChannels, sourceChannels) => {
        const merged = strictestPreferences(preferences(targetChannels), preferences(sourceChannels));

        for (const channel of contactChannels) {
          expect(merged?.channels[channel]).toBe(expectedStrictest(targetChannels[channel], sourceChannels[channel]));
        }
      }),
      { seed: 20261127, numRuns: 200 },
    );
  });

  it("keeps the source's preferences whole when the target stated none", () => {
    const source = preferences({ phone: 'opted_out' }, { preferredChannel: 'email' });

    expect(strictestPreferences(null, source)).toEqual(source);
  });

  it("keeps the target's preferences whole when the source stated none", () => {
    const target = preferences({ mail: 'opted_in' });

    expect(strictestPreferences(target, null)).toEqual(target);
  });

  it('is null when neither customer stated preferences', () => {
    expect(strictestPreferences(null, null)).toBeNull();
  });

  it('is dated by the later of the two statements', () => {
    const merged = strictestPreferences(preferences({}, { updatedAt: '2026-10-01T00:00:00.000Z' }), preferences({}, { updatedAt: '2026-11-05T00:00:00.000Z' }));

    expect(merged?.updatedAt).toBe('2026-11-05T00:00:00.000Z');
  });

  it("keeps the target's preferred channel when both stated one", () => {
    const merged = strictestPreferences(preferences({}, { preferredChannel: 'phone' }), preferences({}, { preferredChannel: 'email' }));

    expect(merged?.preferredChannel).toBe('phone');
  });
});

const identifierPermissionsArbitrary = fc.record({
  channels: channelsArbitrary,
  marketing: fc.constantFrom<Permission | null>('opted_in', 'opted_out', null),
});
const keysArbitrary = fc.constantFrom('phone#+442079460018', 'phone#+442079460019', 'email#ada@example.com');
const permissionsByKeyArbitrary = fc.dictionary(keysArbitrary, identifierPermissionsArbitrary, { maxKeys: 3 });

describe('strictestPermissions', () => {
  it('keeps an opt-out on either side for the same phone number', () => {
    const key = 'phone#+442079460018';
    const merged = strictestPermissions(
      { [key]: { channels: { sms: 'opted_in', phone: 'opted_out' }, marketing: null } },
      { [key]: { channels: { sms: 'opted_out', phone: 'opted_in' }, marketing: null } },
    );

    expect(merged[key]?.channels).toEqual({ sms: 'opted_out', phone: 'opted_out' });
  });

  it('keeps a marketing opt-out on either side for the same address', () => {
    const key = 'email#ada@example.com';
    const merged = strictestPermissions({ [key]: { channels: {}, marketing: 'opted_in' } }, { [key]: { channels: {}, marketing: 'opted_out' } });

    expect(merged[key]?.marketing).toBe('opted_out');
  });

  it('keeps the permissions of an identifier only one side had', () => {
    const theirs: IdentifierPermissions = { channels: { phone: 'opted_out' }, marketing: 'opted_out' };

    const merged = strictestPermissions({}, { 'phone#+442079460019': theirs });

    expect(merged['phone#+442079460019']).toEqual(theirs);
  });

  it('never lets an opt-in on one side undo an opt-out on the other, for any identifiers (never the union)', () => {
    fc.assert(
      fc.property(permissionsByKeyArbitrary, permissionsByKeyArbitrary, (target, source) => {
        const merged = strictestPermissions(target, source);

        expect(Object.keys(merged).sort()).toEqual([...new Set([...Object.keys(target), ...Object.keys(source)])].sort());
        for (const [key, permissions] of Object.entries(merged)) {
          for (const channel of contactChannels) {
            expect(permissions.channels[channel]).toBe(expectedStrictest(target[key]?.channels[channel], source[key]?.channels[channel]));
          }
          expect(permissions.marketing ?? null).toBe(expectedStrictest(target[key]?.marketing ?? undefined, source[key]?.marketing ?? undefined) ?? null);
        }
      }),
      { seed: 20261128, numRuns: 200 },
    );
  });
});
