#!/usr/bin/env node
// The tool is TypeScript run through tsx, as the repository's other tools are: no build step to forget.
import 'tsx';

await import('../src/cli.ts');
