import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Consumer, Kafka } from 'kafkajs';
import { CoreConfig, loadCoreConfig } from '@ssync/common';
import { aggregateTopics, createKafka, ensureTopics, topicSpecs } from '@ssync/messaging';

const CONFIG = Symbol('CONFIG');
const KAFKA = Symbol('KAFKA');

/**
 * The sync workers are one consumer group over the mailbox partitions (ARCHITECTURE invariant 4). For now a
 * worker only owns partitions and reports what it owns; mailbox work arrives with issues #3 and #5.
 */
@Module({
  providers: [
    { provide: CONFIG, useFactory: () => loadCoreConfig(process.env, 'sync-worker') },
    {
      provide: KAFKA,
      inject: [CONFIG],
      useFactory: async (config: CoreConfig) => {
        const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId });
        const admin = kafka.admin();
        await admin.connect();
        try {
          await ensureTopics(
            admin,
            topicSpecs(config.kafka.topicPrefix, config.kafka.partitions, config.kafka.replicationFactor),
          );
        } finally {
          await admin.disconnect();
        }
        return kafka;
      },
    },
  ],
})
export class SyncWorkerModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SyncWorker');
  private consumer: Consumer | null = null;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: CoreConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const topic = aggregateTopics(this.config.kafka.topicPrefix, 'mailbox').commands;
    const consumer = this.kafka.consumer({ groupId: `${this.config.kafka.topicPrefix}.sync-workers` });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = payload.memberAssignment[topic] ?? [];
      this.logger.log(`${this.config.instanceId} owns mailbox partitions [${mine.join(', ')}]`);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: async () => Promise.resolve() });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
