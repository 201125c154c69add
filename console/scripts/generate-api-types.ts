/**
 * `npm run generate:api-types -w console` writes src/api-types.ts from the API's served document;
 * TOUCHPOINT_API_URL and TOUCHPOINT_API_KEY point it at a running API instead of this checkout's.
 */
import { writeFileSync } from 'node:fs';
import { apiTypesPath, apiTypesSource, servedDocument } from './api-types.ts';

const document = await servedDocument(process.env.TOUCHPOINT_API_URL, process.env.TOUCHPOINT_API_KEY);
writeFileSync(apiTypesPath, await apiTypesSource(document));
console.log(`Wrote ${apiTypesPath.pathname}`);
