/**
 * `npm run openapi`: writes the API's OpenAPI document and the console's client types generated from it
 * (apps/console/src/api/openapi.json and schema.d.ts). Run it after changing a controller, a DTO or a response
 * class; a unit test fails while the committed files are stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/infra';
import {
  CONSOLE_DOCUMENT,
  CONSOLE_TYPES,
  buildOpenApiDocument,
  clientTypes,
  documentText,
} from './lib/openapi-document';

async function main(): Promise<void> {
  const at = (file: string) => path.join(repoRoot(), file);
  writeFileSync(at(CONSOLE_DOCUMENT), documentText(await buildOpenApiDocument()));
  writeFileSync(at(CONSOLE_TYPES), clientTypes(at(CONSOLE_DOCUMENT)));
  process.stdout.write(`wrote ${CONSOLE_DOCUMENT} and ${CONSOLE_TYPES}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
