import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { clientPackageDir } from '../../dev/client-document.ts';

export const schemaPath = join(clientPackageDir, 'src', 'schema.ts');

/**
 * The types the package's own generator (its `generate` script: the openapi-typescript CLI, with
 * the package's TypeScript 5.9) makes from `documentPath`, as text.
 */
export async function generatedTypes(documentPath: string): Promise<string> {
  const fromPackage = createRequire(join(clientPackageDir, 'package.json'));
  const manifestPath = fromPackage.resolve('openapi-typescript/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
  const cli = join(dirname(manifestPath), manifest.bin['openapi-typescript'] as string);
  const { stdout } = await promisify(execFile)(process.execPath, [cli, documentPath], { cwd: clientPackageDir, maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}
