import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, apiProcess } from '../../bench/lib/api-process.ts';
import { allScopes } from '../../shared/auth/access.ts';
import { findFreePort } from '../../shared/db/dynamodb-local.ts';
import { seededRandom } from '../../shared/db/fault-injection.ts';
import { unique } from '../fixtures/touchpoints.ts';
import { defaultTestClientName, defaultTestKey, registerKey } from '../helpers/credentials.ts';
import { createTestTable, testTableName } from '../helpers/dynamodb.ts';
import { assertModel, ModelRun, propertySettings, runArbitrary, runScheduledMergeRepair } from '../helpers/mutation-model.ts';
import { httpRoutes } from '../helpers/route-client.ts';

/**
 * The model run over HTTP against `npm start`'s server as its own process, killed with SIGKILL
 * while a group's requests are in flight (a merge, an undo or an erase cut between two of its
 * writes), then started again. The clients retry what got no answer, the same request with the
 * same Idempotency-Key; the scheduled merge repair runs as if its time had come. Then the model's
 * checks: nothing half-done left behind, nothing stuck, every acknowledged touchpoint once.
 */

const settings = propertySettings({ runs: 1, steps: 4, seed: 20261203 });
/** Groups whose requests the kill cuts short; the others run on the restarted server. */
const killedGroups = new Set([1, 3, 5, 7]);

let api: ApiProcess;

beforeAll(async () => {
  await createTestTable();
  await registerKey(defaultTestKey, defaultTestClientName, allScopes);
  api = apiProcess({ dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT as string, tableName: testTableName(), port: await findFreePort() });
  await api.start();
});

afterAll(async () => {
  await api?.stop();
});

describe('every mutating route on a server killed mid-request', () => {
  // Each kill restarts the server (tsx compiles it again): seconds on a busy two-core machine.
  it('recovers without staff: nothing half-done, nothing stuck, no 500, each acknowledged touchpoint once', {
    timeout: settings.timeoutMs + 120_000,
  }, async () => {
    const random = seededRandom(settings.seed);
    let kills = 0;
    const makeRun = () =>
      new ModelRun(
        {
          transport: httpRoutes(() => api.url, { authorization: `Bearer ${defaultTestKey}` }, 15_000),
          // Long enough to outlast a restart on a busy machine: connection refused until the server listens again.
          retry: { attempts: 120, baseDelayMs: 50, maxDelayMs: 1_000 },
          onFreshTable: async () => {
            await registerKey(defaultTestKey, defaultTestClientName, allScopes);
          },
          duringGroup: async (group, send) => {
            if (!killedGroups.has(group)) return send();
            const sending = send();
            // Somewhere inside the requests: DynamoDB Local takes a few ms per call, a merge dozens of calls.
            await new Promise((resolve) => setTimeout(resolve, 15 + random() * 120));
            await api.kill();
            kills += 1;
            await api.start();
            await sending;
          },
          recover: runScheduledMergeRepair,
        },
        unique(),
      );

    const figures = await assertModel('kill', runArbitrary({ minSteps: settings.steps, maxSteps: settings.steps, maxGroup: 4 }), makeRun, settings);

    expect(kills).toBeGreaterThan(0);
    expect(figures.commands).toBeGreaterThan(settings.runs);
  });
});
