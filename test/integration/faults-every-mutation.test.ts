import { describe, expect, it } from 'vitest';
import { documentClient } from '../../shared/db/client.ts';
import { type FaultInjector, injectDynamoDbFaults, seededRandom } from '../../shared/db/fault-injection.ts';
import { unique } from '../fixtures/touchpoints.ts';
import { assertModel, ModelRun, propertySettings, runArbitrary, runScheduledMergeRepair } from '../helpers/mutation-model.ts';
import { inProcessRoutes } from '../helpers/route-client.ts';

/**
 * The model run of mutations-model.test.ts with every DynamoDB call of the Lambdas failing at a
 * 20 % rate, every kind of fault (throttles, timeouts, server errors, throttled transactions, and
 * writes that land but whose answer is lost). Clients behave as the contract asks: a 503 is sent
 * again, the same request with the same Idempotency-Key. Once the group's clients are done, the
 * faults stop and only what runs without staff may put things right: the scheduled repair of
 * merges cut short (run as if its five minutes had passed) and, for a client that gave up, the same
 * request once more. Then the same checks as without faults, stuck states included: no identity
 * lock, no undo or merge still in progress.
 */

const settings = propertySettings({ runs: 6, steps: 6, seed: 20261202 });
const faultRate = Number(process.env.PROPS_FAULT_RATE ?? 0.2);

describe('every mutating route under 20 % injected DynamoDB faults', () => {
  it(
    'answers 503 or the result (never 500), recovers without staff, and keeps every promise of the model',
    async () => {
      const injected = { calls: 0, faults: 0 };
      const arbitrary = runArbitrary({ minSteps: Math.ceil(settings.steps / 2), maxSteps: settings.steps, maxGroup: 3 });
      let runs = 0;
      const makeRun = () => {
        const faultSeed = settings.seed * 1000 + runs++;
        return new ModelRun(
          {
            transport: inProcessRoutes,
            retry: { attempts: 20, baseDelayMs: 2, maxDelayMs: 40 },
            finalAttempts: 3,
            duringGroup: async (group, send) => {
              const faults: FaultInjector = injectDynamoDbFaults(documentClient(), { rate: faultRate, random: seededRandom(faultSeed * 100 + group) });
              try {
                await send();
              } finally {
                faults.detach();
                injected.calls += faults.stats.calls;
                injected.faults += Object.values(faults.stats.injected).reduce((sum, count) => sum + count, 0);
              }
            },
            recover: runScheduledMergeRepair,
          },
          unique(),
        );
      };

      const figures = await assertModel('faults', arbitrary, makeRun, settings);

      expect(figures.commands).toBeGreaterThan(settings.runs);
      expect(injected.faults).toBeGreaterThan(0);
    },
    settings.timeoutMs,
  );
});
