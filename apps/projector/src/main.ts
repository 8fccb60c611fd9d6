import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Kafka } from 'kafkajs';
import { Connection } from 'mongoose';
import { KafkaProbe } from '@ssync/messaging';
import {
  ConfigError,
  installLogger,
  installMetrics,
  installProcessGuards,
  CoreConfig,
  Readiness,
  answersWithin,
  loadHealthConfig,
  startConfiguredHealthServer,
} from '@ssync/common';
import { projectorConsumerHealth, projectorReadiness } from './health';
import { CORE_CONFIG, KAFKA, MONGO, ProjectorModule } from './projector.module';
import { ProjectorService } from './projector.service';
import { rebuildReadModels } from './rebuild';

/**
 * `main.js`          — run the projector (read models in MongoDB from the event log)
 * `main.js rebuild`  — replay the log into a new read-model version, switch to it, print both checksums
 */
async function main(): Promise<void> {
  const logger = installLogger('projector');
  installMetrics('projector');
  const command = process.argv[2] ?? 'run';
  if (command !== 'run' && command !== 'rebuild') {
    throw new ConfigError('argv', `: unknown command "${command}" (use "run" or "rebuild")`);
  }
  if (command === 'rebuild') process.env.SSYNC_PROJECTOR_MODE = 'cli';
  // Up before the modules, so liveness answers (and readiness says "starting") while they start.
  let readiness: (() => Promise<Readiness>) | null = null;
  const health =
    command === 'run'
      ? await startConfiguredHealthServer(loadHealthConfig(process.env), () =>
          readiness ? readiness() : { ready: false, reasons: ['starting'] },
        )
      : null;
  if (health) new Logger('Projector').log(`health on port ${health.port} (/health/live, /health/ready)`);
  const app = await NestFactory.createApplicationContext(ProjectorModule, {
    logger,
  });
  app.enableShutdownHooks();
  if (command === 'rebuild') {
    const report = await rebuildReadModels(
      app.get<Kafka>(KAFKA),
      app.get<Connection>(MONGO),
      app.get<CoreConfig>(CORE_CONFIG),
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `checksum before ${report.before.checksum} (${report.before.documents} documents)\n`,
    );
    process.stdout.write(`checksum after  ${report.after.checksum} (${report.after.documents} documents)\n`);
    process.stdout.write(
      report.match ? 'checksums match\n' : 'checksums DIFFER (events may have arrived during the rebuild)\n',
    );
    await app.close();
    process.exit(report.match ? 0 : 2);
  }
  const projector = app.get(ProjectorService);
  const mongo = app.get<Connection>(MONGO);
  const kafka = new KafkaProbe(app.get<Kafka>(KAFKA));
  readiness = async () =>
    projectorReadiness(
      projectorConsumerHealth(projector),
      projector.activeVersion(),
      await answersWithin(2000, () => mongo.db!.command({ ping: 1 })),
      await kafka.reachable(),
    );
  new Logger('Projector').log('projector running');
}

installProcessGuards('Projector');
main().catch((error: unknown) => {
  new Logger('Projector').error(
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error),
  );
  process.exit(1);
});
