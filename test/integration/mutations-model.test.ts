import { describe, expect, it } from 'vitest';
import { unique } from '../fixtures/touchpoints.ts';
import { assertModel, ModelRun, propertySettings, runArbitrary, runScheduledMergeRepair } from '../helpers/mutation-model.ts';
import { inProcessRoutes } from '../helpers/route-client.ts';

/**
 * Every route that changes data (ingest and batch, link, unlink, merge, undo, move, preferences,
 * profile update, erase with and without suppression, lift suppression, dismiss a candidate), in
 * random sequences of small concurrent groups, through the Lambdas' handlers against DynamoDB
 * Local. mutation-model.ts says what is checked after every group.
 *
 * CI runs a small size; `npm run test:soak` runs longer (sizes in propertySettings). A failure
 * prints the run's log: every command, its answers, and which commands ran at once.
 */

const settings = propertySettings({ runs: 10, steps: 8, seed: 20261201 });

describe('every mutating route under random concurrent sequences', () => {
  it(
    'never answers 500, keeps the graph sound, erases completely and stores each acknowledged touchpoint exactly once',
    async () => {
      const arbitrary = runArbitrary({ minSteps: Math.ceil(settings.steps / 2), maxSteps: settings.steps, maxGroup: 4 });

      // Clients retry a 503 as the contract says; a handful of concurrent commands must not need more than a few tries.
      const retry = { attempts: 5, baseDelayMs: 5, maxDelayMs: 100 };
      // A 503 may cut a merge short without any fault (contention): the scheduled repair is part of the system.
      const recover = runScheduledMergeRepair;

      const figures = await assertModel('model', arbitrary, () => new ModelRun({ transport: inProcessRoutes, retry, recover }, unique()), settings);

      expect(figures.commands).toBeGreaterThan(settings.runs);
    },
    settings.timeoutMs,
  );
});
