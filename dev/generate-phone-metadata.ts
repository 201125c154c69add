/**
 * `npm run generate:phone-metadata`: writes the phone metadata the phone-parsing functions bundle
 * (dev/phone-metadata.ts says what it keeps and why). Run it after updating libphonenumber-js;
 * test/unit/phone-metadata.test.ts fails until then.
 */
import { writeFileSync } from 'node:fs';
import min from 'libphonenumber-js/metadata.min.json';
import { parsingMetadata, parsingMetadataPath, serializeMetadata } from './phone-metadata.ts';

writeFileSync(parsingMetadataPath, serializeMetadata(parsingMetadata(min)));
console.log(`Wrote ${parsingMetadataPath}.`);
