import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CONSOLE_DOCUMENT,
  CONSOLE_TYPES,
  buildOpenApiDocument,
  clientTypes,
  documentText,
} from './openapi-document';

const ROOT = path.resolve(__dirname, '../..');
const committed = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
// A boolean, so a stale file fails with one line naming it instead of a diff of thousands.
const current = (file: string, text: string) => ({ file, current: committed(file) === text });

describe("the console's API client is generated from the current API (run `npm run openapi`)", () => {
  it('the committed document is the one the controllers describe', async () => {
    expect(current(CONSOLE_DOCUMENT, documentText(await buildOpenApiDocument()))).toEqual({
      file: CONSOLE_DOCUMENT,
      current: true,
    });
  });

  it('the committed client types are the ones openapi-typescript makes of it', () => {
    expect(current(CONSOLE_TYPES, clientTypes(path.join(ROOT, CONSOLE_DOCUMENT)))).toEqual({
      file: CONSOLE_TYPES,
      current: true,
    });
  });
});
