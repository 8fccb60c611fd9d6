import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { Connection } from 'mongoose';
import { CoreConfig } from '@ssync/common';
import {
  AggregateType,
  EventConsumer,
  EventConsumerHealth,
  OPERATIONAL_AGGREGATES,
  aggregateTopics,
  deadLetterTopic,
  operationalTopic,
} from '@ssync/messaging';
import {
  ProjectionPointer,
  ReadModels,
  ensurePointer,
  forgetMailboxCache,
  project,
  readPointer,
} from '@ssync/read-models';

export const PROJECTED_AGGREGATES: AggregateType[] = [
  'profile',
  'organization',
  'mailbox',
  'activity',
  'job',
  'alert',
];

/** The topics the read models are built from: every event log, and the operational state (docs/adr/0010). */
export function eventTopics(prefix: string): string[] {
  return [
    ...PROJECTED_AGGREGATES.map((a) => aggregateTopics(prefix, a).events),
    ...OPERATIONAL_AGGREGATES.map((a) => operationalTopic(prefix, a)),
  ];
}

/**
 * Feeds the active read-model version from the event log. It follows the version pointer: when a rebuild
 * switches it, this projector moves to the new version's consumer group; when the pointer is gone (the database
 * was dropped), it starts a new version from the beginning of the log.
 */
export class ProjectorService {
  private readonly logger = new Logger(ProjectorService.name);
  private consumer: EventConsumer | null = null;
  private current: ProjectionPointer | null = null;
  private watcher: NodeJS.Timeout | null = null;
  private switching: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly conn: Connection,
    private readonly readModels: ReadModels,
    private readonly config: CoreConfig,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.follow(await ensurePointer(this.conn, this.config.kafka.topicPrefix));
    this.watcher = setInterval(() => {
      this.switching = this.switching
        .then(() => this.check())
        .catch((e: unknown) => this.logger.error(`pointer check failed: ${String(e)}`));
    }, this.pollMs);
  }

  isReady(): boolean {
    return this.consumer?.isReady() ?? false;
  }

  /** The consumer's progress and dead letters, for readiness. */
  consumerHealth(): EventConsumerHealth | null {
    return this.consumer?.health() ?? null;
  }

  activeVersion(): number | null {
    return this.current?.version ?? null;
  }

  private async check(): Promise<void> {
    const pointer =
      (await readPointer(this.conn)) ?? (await ensurePointer(this.conn, this.config.kafka.topicPrefix));
    if (this.current && pointer.version === this.current.version && pointer.groupId === this.current.groupId)
      return;
    this.logger.log(`read models moved to version ${pointer.version}`);
    await this.follow(pointer);
  }

  private async follow(pointer: ProjectionPointer): Promise<void> {
    await this.consumer?.stop();
    this.current = pointer;
    await this.readModels.ensureIndexes(pointer.version);
    const models = this.readModels.at(pointer.version);
    forgetMailboxCache(models);
    this.consumer = new EventConsumer(this.kafka, {
      groupId: pointer.groupId,
      topics: eventTopics(this.config.kafka.topicPrefix),
      deadLetterTopic: deadLetterTopic(this.config.kafka.topicPrefix),
      fromBeginning: true,
      partitionsConsumedConcurrently: 4,
      // Large batches: on FerretDB a batch of mailbox documents costs two collection scans, whatever its size.
      chunkSize: 2000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      paceMs: this.config.kafka.followerPaceMs,
      onAssignment: () => forgetMailboxCache(models),
      handle: (events, { partition }) => project(models, events, partition),
    });
    await this.consumer.start();
    this.logger.log(`projecting into version ${pointer.version} (group ${pointer.groupId})`);
  }

  async stop(): Promise<void> {
    if (this.watcher) clearInterval(this.watcher);
    await this.switching;
    await this.consumer?.stop();
  }
}
