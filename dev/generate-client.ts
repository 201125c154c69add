/**
 * `npm run generate:client`: builds the OpenAPI document from the schemas and the route table and
 * writes it into the client package, where get-openapi serves it from at /v1/openapi.json (built
 * ahead, so that function bundles no schemas), then has the package regenerate its types from it.
 * test/client/drift.test.ts fails when either is out of date.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../shared/http/openapi.ts';
import { clientPackageDir, documentPath, serializeDocument } from './client-document.ts';

writeFileSync(documentPath, serializeDocument(openApiDocument()));
execFileSync('npm', ['run', '--silent', 'generate'], { cwd: clientPackageDir, stdio: 'inherit' });
console.log(`Wrote ${documentPath} and the client's types.`);
