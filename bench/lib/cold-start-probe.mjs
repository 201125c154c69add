// A Lambda cold start, approximated: a fresh Node process imports one bundled handler (the init
// phase) and handles one event, then one more (warm). Plain JavaScript so nothing but the bundle
// is loaded. Usage: node cold-start-probe.mjs <bundle.mjs> <events.json>; prints one JSON line.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundlePath, eventsPath] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsPath, 'utf8'));
const context = (name) => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: name,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
  memoryLimitInMB: '1024',
  awsRequestId: `cold-${Math.random().toString(36).slice(2)}`,
  logGroupName: `/aws/lambda/${name}`,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 10_000,
  done() {},
  fail() {},
  succeed() {},
});

const importStart = performance.now();
const module = await import(pathToFileURL(bundlePath).href);
const initMs = performance.now() - importStart;
const outcome = (result) => {
  if (!result || typeof result !== 'object') return typeof result;
  if ('statusCode' in result) return result.statusCode;
  if ('batchItemFailures' in result) return `batchItemFailures:${result.batchItemFailures.length}`;
  if ('isAuthorized' in result) return result.isAuthorized ? 'authorized' : 'denied';
  return 'object';
};

let firstInvokeMs;
let warmInvokeMs;
let firstOutcome;
let warmOutcome;
if (events.first) {
  const start = performance.now();
  firstOutcome = outcome(await module.handler(events.first, context('bench')));
  firstInvokeMs = performance.now() - start;
  const again = performance.now();
  warmOutcome = outcome(await module.handler(events.warm ?? events.first, context('bench')));
  warmInvokeMs = performance.now() - again;
}
process.stdout.write(
  `${JSON.stringify({
    // Node's own start before this script ran (the runtime's share of a cold start, not ours).
    nodeStartMs: importStart,
    initMs,
    firstInvokeMs,
    warmInvokeMs,
    firstOutcome,
    warmOutcome,
    rssMb: process.memoryUsage().rss / 1048576,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
process.exit(0);
