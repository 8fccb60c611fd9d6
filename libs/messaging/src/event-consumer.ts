import { Logger } from '@nestjs/common';
import { Consumer, Kafka } from 'kafkajs';
import { EventEnvelope, decodeEvent } from './envelope';

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** Handles a batch of one partition's events in order; offsets are committed only after it resolves. */
  handle(events: EventEnvelope[], context: { topic: string; partition: number }): Promise<void>;
  partitionsConsumedConcurrently?: number;
  /** Called with the last consumed offset (control records included) after each batch. */
  onProgress?(topic: string, partition: number, lastOffset: bigint): void;
  /** Called when the group (re)assigns partitions: caches of documents another member may have written are stale. */
  onAssignment?(): void;
  /** Most events handed to `handle` at once (default 200). */
  chunkSize?: number;
  /** Bytes fetched per partition (default kafkajs' 1 MB). */
  maxBytesPerPartition?: number;
}

/**
 * The one place where a consumer's lifecycle, commits and retries live (docs/CONVENTIONS.md §3): at-least-once
 * delivery to an idempotent handler, offsets committed after the handler's writes.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private consumer: Consumer | null = null;
  private joined = false;
  private stopping = false;
  private lastCaughtUp = new Map<string, boolean>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventConsumerOptions,
  ) {
    this.logger = new Logger(`EventConsumer ${options.groupId}`);
  }

  isReady(): boolean {
    return this.joined;
  }

  /** True when the last batch of every partition seen so far left no lag. */
  isCaughtUp(): boolean {
    return [...this.lastCaughtUp.values()].every(Boolean);
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: 100,
      retry: { retries: 20 },
      // A slow store (FerretDB scans) can hold a batch for a while; heartbeats continue meanwhile (below).
      sessionTimeout: 60000,
      ...(this.options.maxBytesPerPartition
        ? {
            maxBytesPerPartition: this.options.maxBytesPerPartition,
            maxBytes: Math.max(10 * 1024 * 1024, 4 * this.options.maxBytesPerPartition),
          }
        : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.options.onAssignment?.();
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.lastCaughtUp.set(`${payload.topic}:${payload.partition}`, payload.offsetLag === '0');
      this.options.onProgress?.(payload.topic, payload.partition, BigInt(payload.lastOffset));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(`crashed (restart: ${String(payload.restart)}): ${String(payload.error)}`);
      // kafkajs gives up on some errors (e.g. evicted from the group); a projector that stops silently is
      // worse than one that rejoins and is redelivered what it had not committed.
      if (!payload.restart && this.consumer === consumer && !this.stopping) {
        this.consumer = null;
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => new Promise((r) => setTimeout(r, 1000)))
          .then(() => (this.stopping ? undefined : this.start()))
          .catch((error: unknown) => this.logger.error(`restart failed: ${String(error)}`));
      }
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const chunkSize = this.options.chunkSize ?? 200;
        for (let i = 0; i < batch.messages.length; i += chunkSize) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + chunkSize);
          const events = chunk.map((m) => decodeEvent(m.value)).filter((e): e is EventEnvelope => e !== null);
          if (events.length > 0) {
            // Keep the membership alive while the handler works.
            const beat = setInterval(() => void heartbeat().catch(() => undefined), 3000);
            try {
              await this.options.handle(events, { topic: batch.topic, partition: batch.partition });
            } finally {
              clearInterval(beat);
            }
          }
          const last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
          await heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}
