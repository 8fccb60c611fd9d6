import { Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { CoreConfig, loadCoreConfig } from '@ssync/common';
import { createKafka, ensureTopics, topicSpecs } from '@ssync/messaging';
import { MailboxOwner } from './mailbox-owner';

const CONFIG = Symbol('CONFIG');
const KAFKA = Symbol('KAFKA');

/**
 * The sync workers are one consumer group over the mailbox partitions (ARCHITECTURE invariant 4): each owns its
 * share of mailbox commands. Polling, sending and Test & Enable execution arrive with later issues.
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
    {
      provide: MailboxOwner,
      inject: [KAFKA, CONFIG],
      useFactory: (kafka: Kafka, config: CoreConfig) => new MailboxOwner(kafka, config),
    },
  ],
})
export class SyncWorkerModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(MailboxOwner) private readonly owner: MailboxOwner) {}

  async onModuleInit(): Promise<void> {
    await this.owner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.owner.stop();
  }
}
