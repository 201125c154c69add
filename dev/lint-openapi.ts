/**
 * Writes the served OpenAPI document to a file and lints it as client developers' tools would:
 * Redocly (recommended rules) and Spectral (spectral:oas). Any error or warning fails the run.
 * `npm run lint:openapi [-- --out path]`; the file defaults to a temporary one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// The document names the default phone region in its descriptions; any table name will do here.
process.env.TABLE_NAME ??= 'touchpoints';
const { openApiDocument } = await import('../shared/http/openapi.ts');

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ?? join(mkdtempSync(join(tmpdir(), 'openapi-')), 'openapi.json');
writeFileSync(out, `${JSON.stringify(openApiDocument(), null, 2)}\n`);

/** Redocly exits 0 when it finds only warnings, so its JSON totals judge: a warning is a finding too. */
function redocly(): boolean {
  const run = spawnSync('npx', ['--no-install', 'redocly', 'lint', '--config', '.redocly.yaml', '--format', 'json', out], { encoding: 'utf8' });
  const report = JSON.parse(run.stdout) as {
    totals: { errors: number; warnings: number };
    problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
  };
  for (const problem of report.problems) console.error(`redocly ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
  console.log(`redocly: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
  return report.totals.errors + report.totals.warnings === 0;
}

function spectral(): boolean {
  const run = spawnSync('npx', ['--no-install', 'spectral', 'lint', '--ruleset', '.spectral.yaml', '--fail-severity', 'hint', out], { stdio: 'inherit' });
  return run.status === 0;
}

const clean = [redocly(), spectral()].every(Boolean);
console.log(clean ? `${out}: clean for Redocly and Spectral` : `${out}: linters found problems`);
process.exitCode = clean ? 0 : 1;
