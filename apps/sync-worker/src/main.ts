import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConfigError,
  installLogger,
  installMetrics,
  installProcessGuards,
  loadHealthConfig,
  startConfiguredHealthServer,
} from '@ssync/common';
import { WorkerHealth } from './health';
import { SyncWorkerModule } from './sync-worker.module';

async function main(): Promise<void> {
  const logger = installLogger('sync-worker');
  installMetrics('sync-worker');
  // Up before the modules, so liveness answers (and readiness says "starting") while they start.
  let health: WorkerHealth | null = null;
  const server = await startConfiguredHealthServer(loadHealthConfig(process.env), () =>
    health ? health.readiness() : { ready: false, reasons: ['starting'] },
  );
  if (server) new Logger('SyncWorker').log(`health on port ${server.port} (/health/live, /health/ready)`);
  const app = await NestFactory.createApplicationContext(SyncWorkerModule.register(), {
    logger,
  });
  app.enableShutdownHooks();
  health = app.get(WorkerHealth);
  new Logger('SyncWorker').log('sync worker running');
}

installProcessGuards('SyncWorker');
main().catch((error: unknown) => {
  new Logger('SyncWorker').error(
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error),
  );
  process.exit(1);
});
