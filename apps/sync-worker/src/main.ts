import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SyncWorkerModule } from './sync-worker.module';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(SyncWorkerModule.register(), {
    logger: ['fatal', 'error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  new Logger('SyncWorker').log('sync worker running');
}

main().catch((error: unknown) => {
  new Logger('SyncWorker').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
