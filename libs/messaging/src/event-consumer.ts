import { Logger } from '@nestjs/common';
import { Consumer, Kafka } from 'kafkajs';
import {
  DeadLetter,
  DeadLetterWriter,
  deadLetterTopic,
  topicPrefixOf,
  undecodableReason,
} from './dead-letter';
import { EventEnvelope, decodeEvent } from './envelope';
import { FOLLOWER_PACE_MS, followerConsumer } from './kafka';
import { OffsetCommits } from './offset-commits';
import { trackConsumerLag } from './consumer-metrics';
import { reportCatchUp } from '@ssync/common';

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /**
   * Handles a batch of one partition's events in order; offsets are committed only after it resolves. It must be
   * idempotent: what was handled since the last commit is handled again after a restart or a rebalance.
   */
  handle(events: EventEnvelope[], context: { topic: string; partition: number }): Promise<void>;
  partitionsConsumedConcurrently?: number;
  /**
   * Handled offsets are committed together, in one request, at most this often (ms; default
   * {@link DEFAULT_COMMIT_INTERVAL_MS}; 0 commits every chunk of every partition, as before issue #12).
   */
  commitIntervalMs?: number;
  /** Called with the last consumed offset (control records included) after each batch. */
  onProgress?(topic: string, partition: number, lastOffset: bigint): void;
  /** Called when the group (re)assigns partitions: caches of documents another member may have written are stale. */
  onAssignment?(): void;
  /** Most events handed to `handle` at once (default 200). */
  chunkSize?: number;
  /** Bytes fetched per partition (default kafkajs' 1 MB). */
  maxBytesPerPartition?: number;
  /** Once caught up with the log as it was at start, fetch at most this often (ms; default {@link FOLLOWER_PACE_MS}). */
  paceMs?: number;
  /** Where undecodable records go (default `<prefix>.dead-letter`, the prefix of the first topic's name). */
  deadLetterTopic?: string;
}

export interface DeadLetterNote {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  at: string;
}

/** What readiness reports of a consumer. */
export interface EventConsumerHealth {
  joined: boolean;
  /** It has handled every record its partitions held when it started (latched: stays true once reached). */
  caughtUpToStart: boolean;
  /** Records of its partitions still to handle before that; null while it does not know yet. */
  startLag: number | null;
  deadLetters: { topic: string; count: number; recent: DeadLetterNote[] };
}

const DEAD_LETTERS_SHOWN = 20;

/**
 * A second of handled events at most is handled again after a crash; a commit per chunk of each partition was ~150
 * OffsetCommit requests a second at 10,000 mailboxes (issue #12, ADR 0015 addendum 2).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 1000;

/**
 * Records of the `assigned` partitions (`topic:partition`) between where the member stands and the `targets`
 * (each partition's end at start). A partition stands at the last offset handled here, or just before the
 * group's committed offset when that is further: a partition with nothing new is never fetched.
 */
export function lagToTargets(
  targets: ReadonlyMap<string, bigint>,
  assigned: Iterable<string>,
  handled: ReadonlyMap<string, bigint>,
  committed: ReadonlyMap<string, bigint>,
): number {
  let lag = 0n;
  for (const key of assigned) {
    const target = targets.get(key);
    if (target === undefined) continue;
    let position = handled.get(key) ?? -1n;
    const next = committed.get(key);
    if (next !== undefined && next - 1n > position) position = next - 1n;
    if (position < target - 1n) lag += target - 1n - position;
  }
  return Number(lag);
}

/**
 * The one place where a consumer's lifecycle, commits and retries live (docs/CONVENTIONS.md §3): at-least-once
 * delivery to an idempotent handler, offsets committed after the handler's writes. A record it cannot decode is
 * logged and written to the dead-letter topic before its offset is committed: set aside, never skipped silently.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private consumer: Consumer | null = null;
  private joined = false;
  private stopping = false;
  private lastCaughtUp = new Map<string, boolean>();
  /** The end of every non-empty `topic:partition` when it started. */
  private startTargets: Map<string, bigint> | null = null;
  /** The last offset handled (and committed) per `topic:partition`, control records included. */
  private readonly positions = new Map<string, bigint>();
  /** The group's committed offsets as read after the last join: partitions with nothing new yield no batch. */
  private committed: Map<string, bigint> | null = null;
  private assigned: Set<string> | null = null;
  private caughtUpLatched = false;
  private commits: OffsetCommits | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private readonly deadLetters: DeadLetterWriter;
  private deadLetterCount = 0;
  private readonly recentDeadLetters: DeadLetterNote[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventConsumerOptions,
  ) {
    this.logger = new Logger(`EventConsumer ${options.groupId}`);
    reportCatchUp(options.groupId, () => this.caughtUpToStart());
    const topic =
      options.deadLetterTopic ?? deadLetterTopic(topicPrefixOf(options.topics[0] ?? options.groupId));
    this.deadLetters = new DeadLetterWriter(kafka, topic, options.groupId);
  }

  isReady(): boolean {
    return this.joined;
  }

  /** True when the last batch of every partition seen so far left no lag. */
  isCaughtUp(): boolean {
    return [...this.lastCaughtUp.values()].every(Boolean);
  }

  /** True once it has handled every record its assigned partitions held when it started. */
  caughtUpToStart(): boolean {
    if (this.caughtUpLatched) return true;
    const lag = this.startLag();
    if (lag !== 0) return false;
    this.caughtUpLatched = true;
    return true;
  }

  /** Records of its assigned partitions still to handle before `caughtUpToStart` (NaN: not known yet). */
  startLag(): number {
    if (this.caughtUpLatched) return 0;
    if (!this.startTargets || !this.assigned || !this.committed) return Number.NaN;
    return lagToTargets(this.startTargets, this.assigned, this.positions, this.committed);
  }

  health(): EventConsumerHealth {
    const lag = this.startLag();
    return {
      joined: this.joined,
      caughtUpToStart: this.caughtUpToStart(),
      startLag: Number.isNaN(lag) ? null : lag,
      deadLetters: {
        topic: this.deadLetters.topic,
        count: this.deadLetterCount,
        recent: [...this.recentDeadLetters],
      },
    };
  }

  /** Retried: right after the topics were created a partition may have no leader yet (the projector died of it). */
  private async readStartTargets(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        const targets = new Map<string, bigint>();
        for (const topic of this.options.topics) {
          for (const o of await admin.fetchTopicOffsets(topic))
            if (BigInt(o.high) > BigInt(o.low)) targets.set(`${topic}:${o.partition}`, BigInt(o.high));
        }
        this.startTargets = targets;
        return;
      } catch (error) {
        if (attempt >= 30 || this.stopping) throw error;
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  private async readCommitted(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        const committed = new Map<string, bigint>();
        for (const t of await admin.fetchOffsets({
          groupId: this.options.groupId,
          topics: this.options.topics,
        }))
          for (const p of t.partitions)
            if (BigInt(p.offset) >= 0n) committed.set(`${t.topic}:${p.partition}`, BigInt(p.offset));
        this.committed = committed;
        return;
      } catch (error) {
        this.logger.warn(`reading the group's offsets failed (attempt ${attempt}): ${String(error)}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  /** Logs each record, writes it to the dead-letter topic, and only then lets its offset be committed. */
  private async setAside(letters: DeadLetter[]): Promise<void> {
    for (const l of letters)
      this.logger.error(
        `undecodable record at ${l.topic}[${l.partition}]@${l.offset} (${l.reason}): set aside in ${this.deadLetters.topic}`,
      );
    await this.deadLetters.write(letters);
    this.deadLetterCount += letters.length;
    const at = new Date().toISOString();
    for (const l of letters) {
      this.recentDeadLetters.push({
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        reason: l.reason,
        at,
      });
      if (this.recentDeadLetters.length > DEAD_LETTERS_SHOWN) this.recentDeadLetters.shift();
    }
  }

  async start(): Promise<void> {
    // Kept across a restart after a crash: readiness means caught up with the log as it was at first start.
    if (!this.startTargets) await this.readStartTargets();
    const { consumer, pacer } = followerConsumer(
      this.kafka,
      {
        groupId: this.options.groupId,
        retry: { retries: 20 },
        // A slow store (FerretDB scans) can hold a batch for a while; heartbeats continue meanwhile (below).
        sessionTimeout: 60000,
        ...(this.options.maxBytesPerPartition
          ? {
              maxBytesPerPartition: this.options.maxBytesPerPartition,
              maxBytes: Math.max(10 * 1024 * 1024, 4 * this.options.maxBytesPerPartition),
            }
          : {}),
      },
      this.options.paceMs ?? FOLLOWER_PACE_MS,
    );
    this.consumer = consumer;
    const interval = this.options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    const commits = new OffsetCommits(interval, Date.now());
    this.commits = commits;
    if (this.commitTimer) clearInterval(this.commitTimer);
    // A partition that went quiet has no next chunk to carry its last offsets.
    this.commitTimer =
      interval > 0 ? setInterval(() => void this.commitDue(consumer, commits, false), interval) : null;
    this.commitTimer?.unref();
    trackConsumerLag(consumer, this.options.groupId);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.assigned = new Set(
        Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
          partitions.map((p) => `${topic}:${p}`),
        ),
      );
      commits.retain(this.assigned);
      this.committed = null;
      void this.readCommitted();
      this.options.onAssignment?.();
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = `${payload.topic}:${payload.partition}`;
      this.lastCaughtUp.set(key, payload.offsetLag === '0');
      // Only control records or aborted ones: eachBatch never saw it, yet the position moved.
      if (payload.batchSize === 0) this.advance(key, BigInt(payload.lastOffset));
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
          const events: EventEnvelope[] = [];
          const letters: DeadLetter[] = [];
          for (const m of chunk) {
            // A tombstone: a compacted topic forgetting a key, nothing to read or set aside.
            if (m.value === null) continue;
            const event = decodeEvent(m.value);
            if (event) events.push(event);
            else
              letters.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                reason: undecodableReason(m.value),
                key: m.key,
                value: m.value,
                headers: m.headers,
              });
          }
          if (events.length > 0) {
            // Keep the membership alive while the handler works.
            const beat = setInterval(() => void heartbeat().catch(() => undefined), 3000);
            try {
              await this.options.handle(events, { topic: batch.topic, partition: batch.partition });
            } finally {
              clearInterval(beat);
            }
          }
          if (letters.length > 0) await this.setAside(letters);
          const last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
          commits.add(batch.topic, batch.partition, BigInt(last) + 1n);
          await this.commitDue(consumer, commits, true);
          this.advance(`${batch.topic}:${batch.partition}`, BigInt(last));
          await heartbeat();
        }
        // Control records after the last message count as read too.
        this.advance(`${batch.topic}:${batch.partition}`, BigInt(batch.lastOffset()));
        await pacer.settle(this.caughtUpToStart());
      },
    });
  }

  private advance(key: string, offset: bigint): void {
    const previous = this.positions.get(key);
    if (previous === undefined || offset > previous) this.positions.set(key, offset);
  }

  /**
   * Commits the handled offsets when the interval has passed. Inside a batch a failure is thrown, as kafkajs expects
   * (a rebalance redelivers the batch); from the timer it is logged, and the offsets wait for the next commit.
   */
  private async commitDue(
    consumer: Consumer,
    commits: OffsetCommits,
    inBatch: boolean,
    force = false,
  ): Promise<void> {
    const due = commits.take(Date.now(), force);
    if (due.length === 0) return;
    try {
      await consumer.commitOffsets(due);
    } catch (error) {
      commits.restore(due);
      if (inBatch) throw error;
      this.logger.warn(`offset commit failed (retried with the next): ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.commitTimer = null;
    if (this.consumer && this.commits)
      await this.commitDue(this.consumer, this.commits, false, true).catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
    await this.deadLetters.close();
  }
}
