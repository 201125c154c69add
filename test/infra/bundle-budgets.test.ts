import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundlingOptions, projectRoot } from '../../infra/config/bundling.ts';

/**
 * The most each function's bundle may weigh, in KiB, with the AWS SDK left out (the runtime has
 * one; bundling it adds the same for every function). Each sits a little above today's size, so
 * growth fails here and is a decision, not an accident: raise a budget only with the reason in
 * the commit. Issue 12's target is 250 KiB for functions that use the table and far less for the
 * rest. Every function is within it: those that take phone numbers in bundle libphonenumber-js
 * with the parsing part of its smallest metadata (dev/phone-metadata.ts: 33 of 83 KiB, about 70 KiB
 * of libphonenumber-js in all); erase and export, which write numbers out to redact them, the whole
 * (118 KiB; docs/performance-bundles.md).
 */
const budgetsKiB: Record<string, number> = {
  // No table. get-openapi is mostly the document it serves (158 KiB with CardSummary beside RecognitionCard).
  'check-health': 36,
  'route-not-found': 36,
  'get-openapi': 196,
  // The API key store only.
  'authorize-request': 120,
  'list-api-keys': 99,
  'revoke-api-key': 99,
  'lift-suppression': 111,
  'create-api-key': 100,
  // Scheduled and stream functions.
  'retier-customers': 116,
  'finish-interrupted-merges': 124,
  'publish-events': 204,
  // Customer routes.
  'dismiss-merge-candidate': 119,
  'get-access-log': 118,
  'erase-customer': 248,
  'unlink-identifier': 209,
  'export-customer': 247,
  'list-merge-candidates': 139,
  'move-touchpoint': 135,
  'undo-merge': 141,
  'get-timeline': 141,
  'link-identifier': 209,
  'list-identifiers': 142,
  'list-merges': 141,
  'update-customer': 133,
  'check-contact': 213,
  'get-customer': 143,
  'list-customers': 143,
  'lookup-customer': 216,
  'set-preferences': 212,
  'merge-customers': 145,
  'ingest-touchpoint': 227,
  'ingest-touchpoint-batch': 231,
  // The web route and the connectors.
  'answer-web-preflight': 101,
  'ingest-web-touchpoints': 244,
  'lookup-connect-caller': 206,
  // The ingest plus the versioned amend of a contact's touchpoint and Powertools' batch processor.
  'receive-connect-events': 230,
  'receive-connect-records': 236,
  'receive-segment-events': 236,
  'receive-stripe-webhook': 233,
  'receive-twilio-call-status': 231,
  'receive-twilio-sms': 230,
  // The ingest plus, for SES, the preferences use case and SNS verification (node:crypto only).
  'receive-cti-webhook': 233,
  'receive-ses-notification': 240,
};

/**
 * The functions that may bundle libphonenumber-js (about 70 KiB, or 118 with the formats): those that take identifiers in
 * (shared/schemas/identifiers.ts parses phone numbers), and the privacy routes that find a phone
 * number in every written form (shared/privacy/redaction.ts).
 */
const phoneParsingFunctions = new Set([
  'check-contact',
  'erase-customer',
  'export-customer',
  'ingest-touchpoint',
  'ingest-touchpoint-batch',
  'ingest-web-touchpoints',
  'link-identifier',
  'lookup-connect-caller',
  'lookup-customer',
  'receive-connect-events',
  'receive-connect-records',
  'receive-cti-webhook',
  'receive-segment-events',
  'receive-ses-notification',
  'receive-stripe-webhook',
  'receive-twilio-call-status',
  'receive-twilio-sms',
  'set-preferences',
  'unlink-identifier',
]);

const functionsDir = join(projectRoot, 'functions');
const functionNames = readdirSync(functionsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(functionsDir, entry.name, 'handler.ts')))
  .map((entry) => entry.name)
  .sort();

/**
 * Every function bundled with the options it is deployed with (infra/config/bundling.ts), in memory, in
 * one esbuild run: each output is still a self-contained bundle (no code splitting), but shared
 * modules are parsed once instead of once per function.
 */
interface Bundle {
  bytes: number;
  /** The npm packages it holds. */
  packages: Set<string>;
  /** The files it holds, as the metafile names them. */
  inputs: string[];
}

async function bundleAll(): Promise<Map<string, Bundle>> {
  const result = await build({
    entryPoints: Object.fromEntries(functionNames.map((name) => [`${name}/index`, join(functionsDir, name, 'handler.ts')])),
    outdir: join(projectRoot, 'cdk.out', 'bundle-budgets'),
    outExtension: { '.js': '.mjs' },
    write: false,
    ...bundlingOptions,
    // The code only: no source map beside it, and no AWS SDK.
    sourcemap: false,
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
    metafile: true,
  });
  const inputsOf = new Map(Object.entries(result.metafile.outputs).map(([output, { inputs }]) => [basename(dirname(output)), Object.keys(inputs)]));
  return new Map(
    result.outputFiles.map((file) => {
      const name = basename(dirname(file.path));
      const inputs = inputsOf.get(name) ?? [];
      const packages = new Set(inputs.flatMap((input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? []));
      return [name, { bytes: file.contents.length, packages, inputs }];
    }),
  );
}

describe('bundle budgets', () => {
  let bundles = new Map<string, Bundle>();

  beforeAll(async () => {
    bundles = await bundleAll();
  });

  it('has a budget for every function and none for a function that is gone', () => {
    expect(Object.keys(budgetsKiB).sort()).toEqual(functionNames);
  });

  it.each(functionNames)('%s stays within its budget without the AWS SDK', (name) => {
    const kib = Math.ceil((bundles.get(name)?.bytes ?? Number.POSITIVE_INFINITY) / 1024);

    expect(kib, `${name} bundles ${kib} KiB`).toBeLessThanOrEqual(budgetsKiB[name] ?? 0);
  });

  // Schemas import zod from shared/schemas/zod.ts (the mini build); one classic import anywhere a
  // function reaches brings back about 60 KiB of it.
  it("bundles none of zod's classic API", () => {
    const withClassicZod = functionNames.filter((name) => bundles.get(name)?.inputs.some((input) => input.includes('node_modules/zod/v4/classic/')));

    expect(withClassicZod).toEqual([]);
  });

  it('bundles libphonenumber-js only into the functions that parse phone numbers', () => {
    const withPhoneParsing = functionNames.filter((name) => bundles.get(name)?.packages.has('libphonenumber-js'));

    expect(withPhoneParsing).toEqual(functionNames.filter((name) => phoneParsingFunctions.has(name)));
  });
});
