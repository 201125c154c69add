import { InternalServerError, ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../schemas/zod.ts';

/**
 * Fault injection for the DynamoDB client: at a chosen rate, a call fails the way DynamoDB and the
 * SDK really fail, so the fault harness (bench/faults.ts, test/integration/faults.test.ts) can prove
 * that a client retrying with the same Idempotency-Key gets every touchpoint stored exactly once.
 *
 * The middleware sits in the `initialize` step, outside the SDK's own retries: an injected error is
 * what the store sees after the SDK gave up, which is the case the store must map to a 503.
 *
 * - `throttle`: ProvisionedThroughputExceededException or ThrottlingException, before the request
 *   is sent (nothing written).
 * - `timeout`: the SDK's TimeoutError, before the request is sent (nothing written).
 * - `internal`: InternalServerError (`$fault: server`), before the request is sent.
 * - `lost-response`: the request succeeds (a write is applied) and then the client sees a
 *   TimeoutError: the case idempotency keys exist for.
 * - `transaction-throttle`: TransactWriteItems only: a TransactionCanceledException whose
 *   cancellation reasons include `ThrottlingError`, which is how DynamoDB reports a throttled
 *   transaction (nothing written).
 *
 * Never set TOUCHPOINT_FAULT_RATE in a deployed environment.
 */
export const faultKinds = ['throttle', 'timeout', 'internal', 'lost-response', 'transaction-throttle'] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface FaultInjectionOptions {
  /** Probability (0..1) that one DynamoDB call fails. */
  rate: number;
  kinds?: readonly FaultKind[];
  /** Only these commands fail (SDK names such as `TransactWriteItemsCommand`); all when omitted. */
  commands?: readonly string[];
  /** A uniform [0, 1) source; pass `seededRandom(seed)` for a repeatable run. */
  random?: () => number;
}

export interface FaultInjector {
  /** DynamoDB calls seen, and faults injected by kind. */
  readonly stats: { calls: number; injected: Record<FaultKind, number> };
  /** Removes the middleware: later calls go through untouched. */
  detach(): void;
}

type MiddlewareClient = Pick<DynamoDBDocumentClient, 'middlewareStack'>;

const transactionCommand = 'TransactWriteItemsCommand';

export function injectDynamoDbFaults(client: MiddlewareClient, options: FaultInjectionOptions): FaultInjector {
  if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError(`Fault rate must be between 0 and 1, got ${options.rate}`);
  const kinds = options.kinds ?? faultKinds;
  const random = options.random ?? Math.random;
  const stats = {
    calls: 0,
    injected: Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as Record<FaultKind, number>,
  };
  const name = `fault-injection-${Math.random().toString(36).slice(2)}`;

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      stats.calls += 1;
      if (options.commands && !options.commands.includes(command)) return next(args);
      const applicable = kinds.filter((kind) => kind !== 'transaction-throttle' || command === transactionCommand);
      // Draw both numbers on every call so one seed gives one sequence of decisions.
      const roll = random();
      const pick = random();
      if (applicable.length === 0 || roll >= options.rate) return next(args);
      const kind = applicable[Math.min(applicable.length - 1, Math.floor(pick * applicable.length))] as FaultKind;
      stats.injected[kind] += 1;
      if (kind === 'lost-response') {
        await next(args);
        throw timeoutError(command);
      }
      throw faultError(kind, command, args.input as { TransactItems?: unknown[] }, pick);
    },
    // High priority: outside any other initialize middleware, so the error looks like the SDK's final answer.
    { step: 'initialize', name, priority: 'high' },
  );

  return { stats, detach: () => void client.middlewareStack.remove(name) };
}

function faultError(kind: Exclude<FaultKind, 'lost-response'>, command: string, input: { TransactItems?: unknown[] }, pick: number): Error {
  const $metadata = { httpStatusCode: 400, requestId: `injected-${Math.random().toString(36).slice(2)}`, attempts: 3, totalRetryDelay: 180 };
  switch (kind) {
    case 'throttle': {
      const throttle =
        pick < 0.5
          ? new ProvisionedThroughputExceededException({
              message: 'The level of configured provisioned throughput for the table was exceeded. (injected)',
              $metadata,
            })
          : new ThrottlingException({ message: 'Throughput exceeds the current capacity of your table or index. (injected)', $metadata });
      return Object.assign(throttle, { $retryable: { throttling: true } });
    }
    case 'timeout':
      return timeoutError(command);
    case 'internal':
      return new InternalServerError({
        message: 'Internal server error (injected)',
        $metadata: { ...$metadata, httpStatusCode: 500 },
      });
    case 'transaction-throttle': {
      const count = Math.max(1, input.TransactItems?.length ?? 1);
      const throttled = Math.min(count - 1, Math.floor(pick * count));
      const reasons = Array.from({ length: count }, (_, index) =>
        index === throttled ? { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' } : { Code: 'None' },
      );
      return new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}] (injected)`,
        CancellationReasons: reasons,
        $metadata,
      });
    }
  }
}

/** Shaped like the error @smithy/node-http-handler raises when a socket times out. */
function timeoutError(command: string): Error {
  return Object.assign(new Error(`${command}: the request socket timed out after 3000 ms of inactivity (injected)`), {
    name: 'TimeoutError',
    $metadata: { attempts: 3, totalRetryDelay: 180 },
  });
}

/** mulberry32: a tiny, fast, seedable PRNG, good enough for choosing faults and test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

const faultEnvironmentSchema = z.object({
  TOUCHPOINT_FAULT_RATE: z.pipe(z.transform(emptyAsUnset), z.optional(z.coerce.number().check(z.gte(0), z.lte(1)))),
  TOUCHPOINT_FAULT_KINDS: z.pipe(
    z.transform((value) => (typeof value === 'string' && value.trim() !== '' ? value.split(',').map((kind) => kind.trim()) : undefined)),
    z.optional(z.array(z.enum(faultKinds)).check(z.minLength(1))),
  ),
  TOUCHPOINT_FAULT_SEED: z.pipe(z.transform(emptyAsUnset), z.optional(z.coerce.number().check(z.int()))),
  TOUCHPOINT_FAULT_COMMANDS: z.pipe(
    z.transform((value) => (typeof value === 'string' && value.trim() !== '' ? value.split(',').map((command) => command.trim()) : undefined)),
    z.optional(z.array(z.string().check(z.regex(/^[A-Z][A-Za-z]+$/, 'must be DynamoDB operation names such as TransactWriteItems'))).check(z.minLength(1))),
  ),
});

/**
 * Fault injection asked for by the environment (TOUCHPOINT_FAULT_RATE, optionally
 * TOUCHPOINT_FAULT_KINDS=throttle,timeout,..., TOUCHPOINT_FAULT_COMMANDS=BatchGetItem,... to hit
 * only some operations, and TOUCHPOINT_FAULT_SEED), or `undefined` when the rate is unset. A
 * malformed value fails loudly, like the rest of the configuration.
 */
export function faultInjectionFromEnvironment(environment: NodeJS.ProcessEnv = process.env): FaultInjectionOptions | undefined {
  const parsed = faultEnvironmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid fault-injection configuration: ${problems}`);
  }
  const { TOUCHPOINT_FAULT_RATE: rate, TOUCHPOINT_FAULT_KINDS: kinds, TOUCHPOINT_FAULT_SEED: seed, TOUCHPOINT_FAULT_COMMANDS: commands } = parsed.data;
  if (rate === undefined) return undefined;
  return {
    rate,
    ...(kinds ? { kinds } : {}),
    // The SDK names commands `<Operation>Command`.
    ...(commands ? { commands: commands.map((command) => (command.endsWith('Command') ? command : `${command}Command`)) } : {}),
    ...(seed !== undefined ? { random: seededRandom(seed) } : {}),
  };
}
