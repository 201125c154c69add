import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientPackageDir } from '../../dev/client-document.ts';

/** The package ships on its own: it may import its own files, its declared dependencies and (examples only) Node's modules. */
const manifest = JSON.parse(readFileSync(join(clientPackageDir, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  files: string[];
  exports: Record<string, unknown>;
};

function sourceFiles(folder: string): string[] {
  return readdirSync(join(clientPackageDir, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(clientPackageDir, folder, file));
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((match) => match[1] as string);
}

describe('the client package', () => {
  it('imports nothing outside itself but openapi-fetch (its one dependency)', () => {
    const escapes: string[] = [];
    for (const file of sourceFiles('src')) {
      for (const specifier of importsOf(file)) {
        const local = specifier.startsWith('.');
        const inside = local && !relative(clientPackageDir, resolve(dirname(file), specifier)).startsWith('..');
        if (local ? !inside : !(specifier in manifest.dependencies)) escapes.push(`${relative(clientPackageDir, file)}: ${specifier}`);
      }
    }

    expect(Object.keys(manifest.dependencies)).toEqual(['openapi-fetch']);
    expect(escapes).toEqual([]);
  });

  it('has examples that import only the package and Node', () => {
    const escapes: string[] = [];
    for (const file of sourceFiles('examples')) {
      for (const specifier of importsOf(file)) {
        const allowed = specifier.startsWith('../src/') || specifier.startsWith('./') || builtinModules.includes(specifier.replace(/^node:/, ''));
        if (!allowed) escapes.push(`${relative(clientPackageDir, file)}: ${specifier}`);
      }
    }

    expect(sourceFiles('examples').length).toBeGreaterThanOrEqual(3);
    expect(escapes).toEqual([]);
  });

  it('publishes its build, its document and its README, with types for the entry point', () => {
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'openapi.json', 'README.md']));
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
  });
});
