import { join } from 'node:path';
import type { MetadataJson } from 'libphonenumber-js/core';

/** Where the metadata that shared/domain/phone-numbers.ts parses with is kept (generated, committed). */
export const parsingMetadataPath = join(import.meta.dirname, '..', 'shared', 'domain', 'phone-parsing-metadata.json');

/** A country's entry in libphonenumber-js's compressed metadata: position 4 holds its formats. */
const formatsPosition = 4;

/**
 * libphonenumber-js's smallest (min) metadata without the formats, which only formatting reads
 * (format, AsYouType, findNumbers): 49 of its 83 KB. Parsing and validation read the calling
 * codes, national prefixes, number patterns, possible lengths and leading digits, all kept, so a
 * function that only normalises numbers to E.164 bundles a third of the metadata.
 * test/unit/phone-metadata.test.ts checks that every country parses as with the full one.
 */
export function parsingMetadata(min: MetadataJson): MetadataJson {
  const withoutFormats = (entry: unknown) => {
    if (!Array.isArray(entry)) return entry;
    const copy = [...entry];
    copy[formatsPosition] = [];
    return copy;
  };
  const countries = Object.fromEntries(Object.entries(min.countries).map(([country, entry]) => [country, withoutFormats(entry)]));
  const nonGeographic = (min as { nonGeographic?: Record<string, unknown> }).nonGeographic;
  return {
    ...min,
    countries,
    ...(nonGeographic ? { nonGeographic: Object.fromEntries(Object.entries(nonGeographic).map(([code, entry]) => [code, withoutFormats(entry)])) } : {}),
  } as MetadataJson;
}

export const serializeMetadata = (metadata: MetadataJson) => `${JSON.stringify(metadata)}\n`;
