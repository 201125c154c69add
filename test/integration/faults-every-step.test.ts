import { describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { type FaultKind, injectDynamoDbFaults } from '../../shared/db/fault-injection.ts';
import { unique } from '../fixtures/touchpoints.ts';
import { type Command, type Group, ModelRun, runScheduledMergeRepair } from '../helpers/mutation-model.ts';
import { inProcessRoutes } from '../helpers/route-client.ts';

/**
 * Each mutating route cut short at each of its DynamoDB calls in turn: call k fails (`timeout`:
 * nothing sent) or lands with its answer lost (`lost-response`), everything else goes through.
 * That leaves every stuck state a route can leave (a merge marked but not moved, an undo holding
 * its identity lock, an erase half done, an identifier item without its profile entry). The
 * client then sends the same request again, as a 503 tells it to, and the scheduled merge repair
 * runs as if its time had come: no staff. The model's checks must then all hold, nothing stuck,
 * and the retry must answer the route's own success, never "already done".
 *
 * CI cuts each route at its middle and its last call, the answer lost (the cut that leaves a
 * committed change behind a 503); PROPS_EVERY_STEP=1 (set by `npm run test:soak`) cuts at every
 * call with both kinds.
 */

const everyStep = process.env.PROPS_EVERY_STEP === '1';

/** Three customers to act on: c0 {email0, phone0}, c1 {phone1, account0}, c2 anonymous {cookie0}; c0 also has a past touchpoint with cookie1. */
const arrangement: Group[] = [
  [{ kind: 'ingest', spec: { email: 0, phone: 0, keyed: true, minutesBefore: 30 } }],
  [{ kind: 'ingest', spec: { phone: 1, account: 0, keyed: true, minutesBefore: 20 } }],
  [{ kind: 'ingest', spec: { cookie: 0, keyed: false, minutesBefore: 10 } }],
];
// Live customers are listed in creation order: customer refs 0, 2, 4 are c0, c1, c2.
const [c0, c1, c2] = [0, 2, 4];
const mergeC1IntoC0: Command = { kind: 'merge', target: c0, source: c1 };

interface Case {
  name: string;
  before?: Group[];
  command: Command;
}

const cases: Case[] = [
  { name: 'ingest that merges an anonymous profile', command: { kind: 'ingest', spec: { email: 0, cookie: 0, keyed: true, minutesBefore: 0 } } },
  {
    name: 'batch',
    command: {
      kind: 'batch',
      items: [
        { phone: 1, keyed: true, minutesBefore: 0 },
        { email: 2, keyed: true, minutesBefore: 0 },
      ],
    },
  },
  { name: 'merge', command: mergeC1IntoC0 },
  { name: 'undo', before: [[mergeC1IntoC0]], command: { kind: 'undo', merge: 0 } },
  { name: 'move', command: { kind: 'move', touchpoint: 0, customer: c1 } },
  { name: 'link', command: { kind: 'link', customer: c0, identifier: { type: 'email', which: 1 }, shared: false } },
  { name: 'shared link', command: { kind: 'link', customer: c0, identifier: { type: 'phone', which: 1 }, shared: true } },
  { name: 'unlink', command: { kind: 'unlink', customer: c1, identifier: { type: 'accountId', which: 0 }, own: false } },
  { name: 'preferences', command: { kind: 'preferences', customer: c0, email: 'opted_out', permission: { type: 'phone', which: 0 } } },
  { name: 'profile update', command: { kind: 'update', customer: c0, trait: 'status' } },
  { name: 'erase with suppression', before: [[mergeC1IntoC0]], command: { kind: 'erase', customer: c0, suppress: true } },
  {
    name: 'erase of a customer sharing a phone',
    before: [[{ kind: 'link', customer: c1, identifier: { type: 'phone', which: 0 }, shared: true }]],
    command: { kind: 'erase', customer: c0, suppress: false },
  },
  { name: 'lift suppression', before: [[{ kind: 'erase', customer: c2, suppress: true }]], command: { kind: 'lift', suppression: 0 } },
  {
    name: 'dismiss candidate',
    // c0 seen with c1's phone: two known customers claim it, a candidate for review.
    before: [[{ kind: 'ingest', spec: { email: 0, phone: 1, keyed: true, minutesBefore: 5 } }]],
    command: { kind: 'dismiss', candidate: 0 },
  },
];

/** A random source for injectDynamoDbFaults that fails exactly the k-th call (it draws twice per call). */
function failingCall(k: number): () => number {
  let draws = 0;
  return () => {
    const call = Math.floor(draws / 2) + 1;
    const roll = draws % 2 === 0;
    draws += 1;
    return roll && call === k ? 0 : 0.99;
  };
}

/** Runs the case with call `cut` of its command failing (0: none), and returns the calls made and the findings. */
async function runCase(testCase: Case, cut: number, kind: FaultKind): Promise<{ calls: number; findings: string[]; log: string[] }> {
  const groups = [...arrangement, ...(testCase.before ?? []), [testCase.command]];
  let calls = 0;
  const run = new ModelRun(
    {
      transport: inProcessRoutes,
      retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
      recover: runScheduledMergeRepair,
      duringGroup: async (group, send) => {
        if (group !== groups.length - 1) return send();
        const faults = injectDynamoDbFaults(documentClient(), { rate: cut === 0 ? 0 : 0.5, kinds: [kind], random: failingCall(cut) });
        try {
          await send();
        } finally {
          faults.detach();
          calls = faults.stats.calls;
        }
      },
    },
    unique(),
  );
  const findings = await run.run(groups);
  return { calls, findings, log: run.log };
}

/** The calls to cut: all of them when soaking, else the middle and the last one (its answer lost: the "already done" retry). */
function cutsOf(calls: number): number[] {
  if (everyStep) return Array.from({ length: calls }, (_, index) => index + 1);
  return [...new Set([Math.ceil(calls / 2), calls])];
}

describe('every mutating route cut short at each of its DynamoDB calls', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: retried by the client and repaired by the scheduled job, leaves nothing stuck or half done`, async () => {
      const clean = await runCase(testCase, 0, 'timeout');
      expect(clean.findings, `the clean run:\n  ${clean.log.join('\n  ')}`).toEqual([]);
      expect(clean.calls).toBeGreaterThan(0);

      const failures: string[] = [];
      for (const cut of cutsOf(clean.calls)) {
        for (const kind of everyStep ? (['lost-response', 'timeout'] as const) : (['lost-response'] as const)) {
          const { findings, log } = await runCase(testCase, cut, kind);
          if (findings.length > 0)
            failures.push(`call ${cut} of ${clean.calls} (${kind}):\n    ${findings.join('\n    ')}\n  after:\n    ${log.slice(-3).join('\n    ')}`);
        }
      }

      expect(failures, failures.join('\n')).toEqual([]);
    }, 300_000);
  }
});
