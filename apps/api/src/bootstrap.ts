import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiConfig, installLogger, installMetrics, loadApiConfig } from '@ssync/common';
import { AppModule } from './app.module';
import { installJsonBodyParser } from './http/body-parser';
import { installConsole } from './http/console';
import { installMethodNotAllowed } from './http/methods';
import { openApiDocument } from './http/openapi';
import { correlationMiddleware } from './http/request-context';
import { apiValidationPipe } from './http/validation';

/** Builds and starts the API; used by main.ts and by tests that run it in-process. */
export async function bootstrapApi(
  config: ApiConfig = loadApiConfig(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<INestApplication> {
  const httpsOptions =
    config.http.tlsCertFile && config.http.tlsKeyFile
      ? { cert: readFileSync(config.http.tlsCertFile), key: readFileSync(config.http.tlsKeyFile) }
      : undefined;
  installMetrics('api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, env), {
    bodyParser: false,
    httpsOptions,
    logger: installLogger('api', env),
  });
  // Only the configured proxies' X-Forwarded-* count (issue #14); a peer not among them speaks for itself.
  if (config.http.trustProxy !== false) app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(correlationMiddleware);
  // dist/apps/api/src → dist/console, where `npm run build` puts the console.
  const consoleDir = config.consoleDir ?? path.resolve(__dirname, '../../../console');
  const withConsole = installConsole(app, consoleDir);
  installJsonBodyParser(app);
  app.useGlobalPipes(apiValidationPipe());
  app.enableShutdownHooks();
  const document = openApiDocument(app);
  installMethodNotAllowed(app, document);
  app
    .getHttpAdapter()
    .getInstance()
    .get('/api/openapi.json', (_req, res) => {
      res.json(document);
    });
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  await app.listen(config.http.port, config.http.host);
  const logger = new Logger('Bootstrap');
  logger.log(`API on ${await app.getUrl()} (OpenAPI: /api/openapi.json, docs: /api/docs)`);
  if (withConsole) logger.log(`admin console at / (from ${consoleDir})`);
  else logger.log(`no admin console: ${consoleDir} holds no build (npm run build makes it)`);
  return app;
}
