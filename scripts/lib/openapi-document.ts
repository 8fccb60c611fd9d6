import { Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { OpenAPIObject } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { AppModule } from '../../apps/api/src/app.module';
import { openApiDocument } from '../../apps/api/src/http/openapi';

/** The document as the API's bootstrap builds it, from the real controllers with every dependency mocked: no servers. */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, AppModule) as Type[];
  const module = await Test.createTestingModule({ controllers })
    .useMocker(() => ({}))
    .compile();
  const app = module.createNestApplication({ logger: false });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}

/** The console keeps the document and the client types generated from it (paths from the repository root). */
export const CONSOLE_DOCUMENT = path.join('apps', 'console', 'src', 'api', 'openapi.json');
export const CONSOLE_TYPES = path.join('apps', 'console', 'src', 'api', 'schema.d.ts');

export const documentText = (document: OpenAPIObject): string => `${JSON.stringify(document, null, 2)}\n`;

/**
 * openapi-typescript's types for the document in `file`. Its command line in a child process: the library is an ES
 * module, which jest's module loader cannot run.
 */
export function clientTypes(file: string): string {
  // Its exports map `./*.js` to `./*.mjs`, which the bin is not.
  const cli = path.join(path.dirname(require.resolve('openapi-typescript/package.json')), 'bin', 'cli.js');
  // Optional fields with a default stay optional: the API applies the default, a client need not send it.
  const run = spawnSync(process.execPath, [cli, file, '--default-non-nullable=false'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openapi-typescript failed (${run.status}): ${run.stderr}`);
  return `// From openapi.json beside it; \`npm run openapi\` regenerates both.\n${run.stdout}`;
}
