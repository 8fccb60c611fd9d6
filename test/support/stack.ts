import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import mongoose, { Connection } from 'mongoose';
import { loadApiConfig, loadCoreConfig } from '@ssync/common';
import { createKafka } from '@ssync/messaging';
import { ReadModels, readModelConnectionOptions } from '@ssync/read-models';
import { bootstrapApi } from '../../apps/api/src/bootstrap';
import { ProjectorService } from '../../apps/projector/src/projector.service';
import { ActivityOwner } from '../../apps/sync-worker/src/activity-owner';
import { MailboxOwner } from '../../apps/sync-worker/src/mailbox-owner';
import { SyncWorkerModule } from '../../apps/sync-worker/src/sync-worker.module';
import { TestNamespace, deleteTopics, dropDatabase, eventually } from './env';

/** The API, a projector and a sync worker's mailbox owner in this process, on the namespace's topics and database. */
export interface InProcessStack {
  app: INestApplication;
  url: string;
  projector: ProjectorService;
  mailboxOwner: MailboxOwner;
  /** The full sync worker (option `worker: 'full'`). */
  worker: INestApplicationContext | null;
  projectorConnection: Connection;
  stop(): Promise<void>;
}

/**
 * Resolves once the API answers ready and the mailbox owner holds its partitions, each within `readyTimeoutMs`
 * (default 60 s). Pair it with `stopInProcessStack` in `afterAll`.
 */
export async function startInProcessStack(
  ns: TestNamespace,
  extraEnv: Record<string, string> = {},
  options: { worker?: 'owner' | 'full'; readyTimeoutMs?: number } = {},
): Promise<InProcessStack> {
  const env = { ...process.env, ...ns.env, PORT: '0', ...extraEnv };
  const app = await bootstrapApi(loadApiConfig(env), env);
  const core = loadCoreConfig(env, 'projector');
  const projectorConnection = await mongoose
    .createConnection(core.mongo.uri, readModelConnectionOptions(core.mongo))
    .asPromise();
  const projector = new ProjectorService(
    createKafka({ ...core.kafka, clientId: 'test-projector' }),
    projectorConnection,
    new ReadModels(projectorConnection),
    core,
    200,
  );
  await projector.start();
  let mailboxOwner: MailboxOwner;
  let worker: INestApplicationContext | null = null;
  if (options.worker === 'full') {
    // The whole sync worker: mailbox owner plus the runtime that tests, polls and tracks against Exchange.
    worker = await NestFactory.createApplicationContext(SyncWorkerModule.register(env), {
      logger: ['error', 'warn'],
    });
    await worker.init();
    mailboxOwner = worker.get(MailboxOwner);
  } else {
    const workerConfig = loadCoreConfig(env, 'sync-worker');
    mailboxOwner = new MailboxOwner(
      createKafka({ ...workerConfig.kafka, clientId: 'test-sync-worker' }),
      workerConfig,
    );
    await mailboxOwner.start();
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const stack: InProcessStack = {
    app,
    url,
    projector,
    mailboxOwner,
    projectorConnection,
    worker,
    async stop() {
      if (worker) await worker.close();
      else await mailboxOwner.stop();
      await projector.stop();
      await projectorConnection.close();
      await app.close();
    },
  };
  const readyTimeoutMs = options.readyTimeoutMs ?? 60000;
  try {
    // /health/ready is public: no token needed.
    await eventually(
      async () => (await fetch(`${url}/health/ready`)).status === 200,
      readyTimeoutMs,
      'API ready',
    );
    await eventually(() => Promise.resolve(mailboxOwner.isReady()), readyTimeoutMs, 'mailbox owner ready');
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/** Stops the stack, if it started, and removes the namespace's database and topics. */
export async function stopInProcessStack(
  ns: TestNamespace,
  stack: InProcessStack | null | undefined,
): Promise<void> {
  await stack?.stop();
  await dropDatabase(ns);
  await deleteTopics(ns);
}

/** A sync worker's activity owner on the namespace's topics, started and holding its partitions. */
export async function startActivityOwner(ns: TestNamespace): Promise<ActivityOwner> {
  const config = loadCoreConfig({ ...process.env, ...ns.env }, 'sync-worker');
  const owner = new ActivityOwner(
    createKafka({ brokers: config.kafka.brokers, clientId: 'test-activity-owner' }),
    config,
  );
  await owner.start();
  try {
    await eventually(() => Promise.resolve(owner.isReady()), 60000, 'activity owner ready');
  } catch (error) {
    await owner.stop();
    throw error;
  }
  return owner;
}
