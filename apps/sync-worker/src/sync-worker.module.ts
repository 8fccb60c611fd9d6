import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { Db, MongoClient } from 'mongodb';
import { MongoLeaseLimiter, PooledLeaseLimiter } from '@ssync/coordination';
import { reportConnectionSlots } from '@ssync/common';
import { ExchangeClientFactory } from '@ssync/exchange';
import { KafkaCommandGateway, KafkaProbe, connectKafka } from '@ssync/messaging';
import { SecretBox, SecretsModule } from '@ssync/security';
import { ActivityOwner } from './activity-owner';
import { WorkerHealth } from './health';
import { MailboxOwner } from './mailbox-owner';
import { SyncRuntime } from './runtime/sync-runtime';
import { WorkerConfig, loadWorkerConfig } from './runtime/worker-config';

const CONFIG = Symbol('CONFIG');
const KAFKA = Symbol('KAFKA');
const MONGO = Symbol('MONGO');
const LEASES = Symbol('LEASES');

/**
 * A sync worker: one member of the consumer group over the mailbox partitions (ARCHITECTURE invariant 4). It
 * decides the commands of the mailboxes it owns and does their work against Exchange — Test & Enable, polling,
 * tracking — under the cross-worker connection limits (P-11).
 */
@Module({
  imports: [SecretsModule],
  providers: [
    {
      provide: KAFKA,
      inject: [CONFIG],
      useFactory: (config: WorkerConfig): Promise<Kafka> => connectKafka(config),
    },
    {
      provide: MONGO,
      inject: [CONFIG],
      useFactory: (config: WorkerConfig) =>
        MongoClient.connect(config.mongo.uri, {
          serverSelectionTimeoutMS: 10000,
          maxPoolSize: config.mongo.maxPoolSize,
        }),
    },
    {
      provide: MailboxOwner,
      inject: [KAFKA, CONFIG],
      useFactory: (kafka: Kafka, config: WorkerConfig) =>
        new MailboxOwner(kafka, config, {
          lingerMs: config.worker.commandLingerMs,
          outcomeLingerMs: config.worker.outcomeLingerMs,
        }),
    },
    {
      provide: ActivityOwner,
      inject: [KAFKA, CONFIG],
      useFactory: (kafka: Kafka, config: WorkerConfig) =>
        new ActivityOwner(kafka, config, { commandPaceMs: config.worker.activityCommandPaceMs }),
    },
    {
      provide: KafkaCommandGateway,
      inject: [KAFKA, CONFIG, MailboxOwner],
      useFactory: async (kafka: Kafka, config: WorkerConfig, owner: MailboxOwner) => {
        const gateway = new KafkaCommandGateway(kafka, {
          topicPrefix: config.kafka.topicPrefix,
          orgId: config.orgId,
          instanceId: config.instanceId,
          timeoutMs: config.worker.commandTimeoutMs,
        });
        // A poll's claim and outcome go to this worker's own mailbox partitions (docs/adr/0014).
        gateway.decideHereWith('mailbox', (envelope) => owner.decideHere(envelope));
        await gateway.start();
        return gateway;
      },
    },
    {
      provide: LEASES,
      inject: [MONGO, CONFIG],
      useFactory: async (mongo: MongoClient, config: WorkerConfig) => {
        const db: Db = mongo.db();
        const slots = new MongoLeaseLimiter(db, { owner: config.instanceId });
        await slots.ensureIndexes();
        // P-11 with ~0 MongoDB round trips per EWS call: this worker keeps the slots it holds and reuses them, and
        // gives them up sooner only while another worker says it waits; the leases last 15 s and are renewed, so a
        // SIGKILLed worker's slots lapse within 15 s (ADR 0007). A waiter may queue behind many requests of its
        // profile, and behind a crashed worker's leases until they lapse.
        const pool = new PooledLeaseLimiter(slots, {
          maxWaitMs: config.worker.requestTimeoutMs * 2 + 15_000,
        });
        reportConnectionSlots(() => {
          const { held, busy, waiting, ...totals } = pool.stats();
          return { now: { held, busy, waiting }, totals };
        });
        return pool;
      },
    },
    {
      provide: ExchangeClientFactory,
      inject: [LEASES, CONFIG],
      useFactory: (limiter: PooledLeaseLimiter, config: WorkerConfig) =>
        new ExchangeClientFactory({
          limiter,
          ...(config.worker.serviceIdentity ? { serviceIdentity: config.worker.serviceIdentity } : {}),
        }),
    },
    {
      provide: WorkerHealth,
      inject: [MailboxOwner, ActivityOwner, KafkaCommandGateway, MONGO, KAFKA],
      useFactory: (
        owner: MailboxOwner,
        activities: ActivityOwner,
        gateway: KafkaCommandGateway,
        mongo: MongoClient,
        kafka: Kafka,
      ) => {
        const probe = new KafkaProbe(kafka);
        return new WorkerHealth(
          owner,
          activities,
          gateway,
          () => mongo.db().command({ ping: 1 }),
          () => probe.reachable(),
        );
      },
    },
    {
      provide: SyncRuntime,
      inject: [MailboxOwner, KafkaCommandGateway, ExchangeClientFactory, SecretBox, CONFIG],
      useFactory: (
        owner: MailboxOwner,
        gateway: KafkaCommandGateway,
        exchange: ExchangeClientFactory,
        secrets: SecretBox,
        config: WorkerConfig,
      ) =>
        new SyncRuntime(owner, gateway, exchange, (sealed, context) => secrets.open(sealed, context), {
          orgId: config.orgId,
          tickMs: config.worker.tickMs,
          concurrency: config.worker.concurrency,
          requestTimeoutMs: config.worker.requestTimeoutMs,
          pageSize: config.worker.pageSize,
          maxPagesPerPoll: config.worker.maxPagesPerPoll,
          ...(config.worker.autodiscoverUrl ? { autodiscoverUrl: config.worker.autodiscoverUrl } : {}),
          actor: `sync-worker:${config.instanceId}`,
          instanceId: config.instanceId,
          pollClaimSlackMs: config.worker.pollClaimSlackMs,
          pollClaimLeadMs: config.worker.pollClaimLeadMs,
          sendRetryDelayMinutes: config.worker.sendRetryDelayMinutes,
          idleBackoffFactor: config.worker.idleBackoffFactor,
        }),
    },
  ],
  exports: [MailboxOwner, ActivityOwner, SyncRuntime, KafkaCommandGateway, WorkerHealth],
})
export class SyncWorkerModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SyncWorker');

  /** The worker configured from `env` (process.env by default; tests pass their own). */
  static register(env: Record<string, string | undefined> = process.env): DynamicModule {
    return { module: SyncWorkerModule, providers: [{ provide: CONFIG, useValue: loadWorkerConfig(env) }] };
  }

  constructor(
    @Inject(MailboxOwner) private readonly owner: MailboxOwner,
    @Inject(ActivityOwner) private readonly activities: ActivityOwner,
    @Inject(SyncRuntime) private readonly runtime: SyncRuntime,
    @Inject(KafkaCommandGateway) private readonly gateway: KafkaCommandGateway,
    @Inject(MONGO) private readonly mongo: MongoClient,
    @Inject(LEASES) private readonly leases: PooledLeaseLimiter,
  ) {}

  async onModuleInit(): Promise<void> {
    await Promise.all([this.owner.start(), this.activities.start()]);
    this.runtime.enableSending(this.activities.activities);
    this.runtime.start();
    this.logger.log('sync runtime started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
    await Promise.all([this.owner.stop(), this.activities.stop()]);
    await this.gateway.stop();
    // After the runtime stopped: no request runs any more, so every slot goes back to MongoDB now.
    await this.leases.close();
    this.logger.log(`connection slots: ${JSON.stringify(this.leases.stats())}`);
    await this.mongo.close();
  }
}
