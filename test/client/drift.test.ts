import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentPath, serializeDocument } from '../../dev/client-document.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';
import { useTestApiClient } from '../helpers/local-api.ts';
import { generatedTypes, schemaPath } from './client-package.ts';

/** `npm run generate:client` fixes every failure here. */
describe('the client package', () => {
  const api = useTestApiClient();
  let regenerated: string;

  beforeAll(async () => {
    regenerated = await generatedTypes(documentPath);
  });

  it('holds the document the schemas and the route table describe', () => {
    expect(readFileSync(documentPath, 'utf8')).toBe(serializeDocument(openApiDocument()));
  });

  it('holds the very document the server serves at /v1/openapi.json', async () => {
    const served = await api.get('/v1/openapi.json');

    expect(served.status).toBe(200);
    expect(readFileSync(documentPath, 'utf8')).toBe(serializeDocument(served.body));
  });

  it('holds the types openapi-typescript generates from that document', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(regenerated);
  });
});
