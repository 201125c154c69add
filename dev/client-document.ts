import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the client package keeps its copy of the served document, and how it is written (stable, diff-friendly). */
export const clientPackageDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'clients', 'typescript');
export const documentPath = join(clientPackageDir, 'openapi.json');

export function serializeDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
