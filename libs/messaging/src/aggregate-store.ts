import { Logger } from '@nestjs/common';
import { Consumer, Kafka } from 'kafkajs';
import { EventEnvelope, decodeEvent } from './envelope';

/** One aggregate's state as its owner knows it. */
export interface AggregateSnapshot<S> {
  state: S;
  version: number;
  /** Ids of the most recent commands that produced events, so a command seen again has no second effect. */
  recentCommandIds: string[];
}

export interface EvolveFn<S> {
  initialState(): S;
  evolve(state: S, event: { type: string; data: unknown }): S;
}

const RECENT_COMMANDS_KEPT = 64;

/**
 * The in-memory state of every aggregate of one type, kept by following its event topic from the beginning.
 * Owners of command partitions read it; after writing events they apply them here at once (`applyLocal`).
 * Events are applied strictly in sequence, so the follower and the owner can both feed it without double
 * application. `waitUntilCaughtUp` tells when every event written to a partition before a point is in.
 */
export class AggregateStore<S> {
  private readonly logger: Logger;
  private readonly aggregates = new Map<string, AggregateSnapshot<S>>();
  /** The partition each aggregate's events live in (its owner is that partition's owner). */
  private readonly partitions = new Map<string, number>();
  /** Last offset the follower consumed per partition (control records included). */
  private readonly positions = new Map<number, bigint>();
  private readonly waiters = new Set<{ partition: number; target: bigint; resolve: () => void }>();
  private consumer: Consumer | null = null;
  private fetchedOnce = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly fn: EvolveFn<S>,
    /** Told of every event applied (after the state moved), e.g. to keep timestamps next to the state. */
    private readonly onApplied?: (envelope: EventEnvelope, snapshot: AggregateSnapshot<S>) => void,
  ) {
    this.logger = new Logger(`AggregateStore ${topic}`);
  }

  private readonly listeners: ((envelope: EventEnvelope, snapshot: AggregateSnapshot<S>) => void)[] = [];

  get(aggregateId: string): AggregateSnapshot<S> {
    return (
      this.aggregates.get(aggregateId) ?? { state: this.fn.initialState(), version: 0, recentCommandIds: [] }
    );
  }

  size(): number {
    return this.aggregates.size;
  }

  /** Every aggregate known so far, with its snapshot. */
  entries(): IterableIterator<[string, AggregateSnapshot<S>]> {
    return this.aggregates.entries();
  }

  partitionOf(aggregateId: string): number | undefined {
    return this.partitions.get(aggregateId);
  }

  /** Applies an event if it is the next one of its aggregate; older ones are ignored, gaps are reported. */
  apply(envelope: EventEnvelope, partition?: number): void {
    if (partition !== undefined) this.partitions.set(envelope.aggregateId, partition);
    const current = this.get(envelope.aggregateId);
    if (envelope.sequence <= current.version) return;
    if (envelope.sequence !== current.version + 1) {
      this.logger.error(
        `sequence gap on ${envelope.aggregateId}: have ${current.version}, got ${envelope.sequence}`,
      );
      return;
    }
    const recent = current.recentCommandIds.includes(envelope.causationId)
      ? current.recentCommandIds
      : [...current.recentCommandIds, envelope.causationId].slice(-RECENT_COMMANDS_KEPT);
    const next = {
      state: this.fn.evolve(current.state, { type: envelope.type, data: envelope.payload }),
      version: envelope.sequence,
      recentCommandIds: recent,
    };
    this.aggregates.set(envelope.aggregateId, next);
    this.onApplied?.(envelope, next);
    for (const listener of this.listeners) listener(envelope, next);
  }

  /** Also tells `listener` of every event applied from now on (e.g. to keep an index of aggregates due for work). */
  subscribe(listener: (envelope: EventEnvelope, snapshot: AggregateSnapshot<S>) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 100,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.advance(payload.partition, BigInt(payload.lastOffset));
    });
    consumer.on(consumer.events.FETCH, () => {
      this.fetchedOnce = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) {
          const envelope = decodeEvent(message.value);
          if (envelope) this.apply(envelope, batch.partition);
        }
        await heartbeat();
      },
    });
  }

  private advance(partition: number, lastOffset: bigint): void {
    const previous = this.positions.get(partition);
    if (previous === undefined || lastOffset > previous) this.positions.set(partition, lastOffset);
    for (const waiter of this.waiters) {
      if (waiter.partition === partition && lastOffset >= waiter.target - 1n) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Resolves once every record below `highWatermark` of `partition` has been consumed. */
  waitUntilCaughtUp(
    partition: number,
    lowWatermark: bigint,
    highWatermark: bigint,
    timeoutMs = 120000,
  ): Promise<void> {
    if (highWatermark <= lowWatermark) return Promise.resolve();
    const position = this.positions.get(partition);
    if (position !== undefined && position >= highWatermark - 1n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        partition,
        target: highWatermark,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(`${this.topic}[${partition}] not caught up to ${highWatermark} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  isFollowing(): boolean {
    return this.fetchedOnce;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}
