import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { ledgerAdd } from './command-ledger';
import { decodeSnapshot } from './snapshot-codec';
import {
  SETTLED_CHUNK_ENTRIES,
  SettledTable,
  settledCode,
  settledDigest,
  settledKindOf,
  settledVersionOf,
} from './settled';
import { EventEnvelope, decodeEvent } from './envelope';
import { trackConsumerLag } from './consumer-metrics';
import { reportCatchUp } from '@ssync/common';
import { FOLLOWER_PACE_MS, FetchPacer, IMMEDIATE_FETCH, followerConsumer } from './kafka';

/** One aggregate's state as its owner knows it. */
export interface AggregateSnapshot<S> {
  state: S;
  /** The audited version: the sequence of the last event in the aggregate's event log. */
  version: number;
  /** Every command that produced events (a {@link ledgerHas} ledger), so one seen again has no second effect. */
  commands: string;
  /** The audited version the last operational record applied was written at (-1: none). */
  opVersion?: number;
  /** The audited version the operational slice reflects: an older operational record is not applied. */
  sliceVersion?: number;
  /** When its first and last events occurred (kept only by stores created with `stamps`). */
  createdAt?: string;
  updatedAt?: string;
}

/**
 * The part of an aggregate's state that is operational: its latest value matters, its history does not (a mailbox's
 * EWS cursor, its poll claim and schedule). Events that change only this slice are not written to the audited log;
 * the owner writes the whole slice to the aggregate's operational topic instead, in the same transaction as the
 * command's other effects (docs/adr/0010).
 */
export interface OperationalSlice<S, O = unknown> {
  /** The slice of `state`, or null when the aggregate has none yet. */
  slice(state: S): O | null;
  withSlice(state: S, slice: O): S;
  /** Whether an event type changes the slice (audited ones included). */
  touchesSlice(eventType: string): boolean;
  /** Whether an event, decided now on `before`, is operational only (kept out of the audited log). */
  isOperational(event: { type: string; data: unknown }, before: S): boolean;
}

export interface EvolveFn<S> {
  initialState(): S;
  evolve(state: S, event: { type: string; data: unknown }): S;
  /**
   * What a process keeps of a state in memory (default: all of it), e.g. without an email body nobody acts on
   * again. Deciding any command on the retained state must give what deciding it on the whole state gives.
   */
  retain?(state: S): S;
  operational?: OperationalSlice<S>;
  /**
   * Aggregates that are settled: every command on them is decided from their kind and version alone (a tracked
   * message, whose next copy is a duplicate). A store keeps each as a 12-byte entry, not a state (docs/adr/0012):
   * `kindOf` says whether a state is settled at `now` (ms) and as which kind (0–3); `state(kind)` is what a settled
   * one is decided on.
   */
  settled?: { kindOf(state: S, now: number): number | null; state(kind: number): S };
}

/** The record type of an operational topic; its `sequence` is the audited version it was written at. */
export const OPERATIONAL_RECORD_TYPE = 'OperationalState';

/** Something the store could not apply: kept for readiness reports, not only logged. */
export interface StoreProblem {
  kind: 'undecodable' | 'gap';
  topic: string;
  partition: number;
  offset: string;
  aggregateId: string | null;
  detail: string;
}

export interface AggregateStoreOptions<S> {
  /** The operational topic to follow next to the events (required with `fn.operational`). */
  operationalTopic?: string;
  /** Told of every operational record applied (after the state moved). */
  onOperational?: (aggregateId: string, snapshot: AggregateSnapshot<S>) => void;
  /**
   * The snapshot topic to restore from (default: the events topic's `<prefix>.<aggregate>.snapshots` sibling;
   * `null`: replay the whole log).
   */
  snapshotTopic?: string | null;
  /** Keep `createdAt`/`updatedAt` per aggregate (what a view shows; not worth it for millions of activities). */
  stamps?: boolean;
  /** Settled entries per chunk record (default {@link SETTLED_CHUNK_ENTRIES}; small in tests). */
  settledChunkEntries?: number;
  /** How often whole aggregates are checked for having settled with time (default 60 s; 0: never). */
  settleEveryMs?: number;
  /**
   * Keep settled entries only of the partitions {@link AggregateStore.own}ed (a partition owner's store, docs/adr/0013):
   * elsewhere a settled aggregate is forgotten, and owning a partition loads its entries from the snapshot topic.
   */
  settledOwnedOnly?: boolean;
  /**
   * Follow in batches ({@link followerConsumer}): a store whose reader need not see another process's write within
   * milliseconds (a partition owner applies its own commits directly). Not the API's: it answers a read right
   * after a write.
   */
  batchedFollow?: boolean;
  /**
   * Read the operational topic in batches with a consumer of its own, while the audited events are read at once:
   * for a reader that answers a read right after a write but may show the latest poll a moment late (the API).
   */
  batchedOperational?: boolean;
  /** How often a batched reader fetches once caught up (ms; default {@link FOLLOWER_PACE_MS}). */
  followPaceMs?: number;
}

/** At most `size` tasks at once, in the order they came. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

/** The key of a partition's checkpoint in a snapshot topic (aggregate ids never start with `~`). */
export const SNAPSHOT_CHECKPOINT_KEY = '~checkpoint~';

/** A snapshot topic's records: one per aggregate (its latest), one checkpoint per partition. */
export type SnapshotRecord<S> =
  | ({ kind: 'aggregate'; aggregateId: string; partition: number } & AggregateSnapshot<S>)
  | {
      kind: 'checkpoint';
      partition: number;
      /** Every event below this offset of the partition is in a snapshot written at or before this checkpoint. */
      eventsOffset: string;
      writtenAt: string;
    }
  /** Chunk `chunk` of a partition's settled aggregates, in its writer's order (docs/adr/0012). */
  | { kind: 'settled'; partition: number; chunk: number; entries: string }
  /** An aggregate that settled after a whole snapshot of it was written: its key gets a tombstone. */
  | { kind: 'tombstone'; aggregateId: string; partition: number };

/** What an owner writes at a checkpoint: the aggregates changed since the last one, and where readers resume. */
export interface SnapshotBatch<S> {
  records: SnapshotRecord<S>[];
  /** Ids taken out of the dirty set: given back by {@link AggregateStore.snapshotsFailed}. */
  ids: string[];
  /** Tombstoned ids (given back on failure too). */
  tombstones: string[];
  /** How many settled entries the chunks cover, once written ({@link AggregateStore.snapshotsWritten}). */
  settledUpTo: number | null;
}

const PROBLEMS_KEPT = 20;

/**
 * The in-memory state of every aggregate of one type, kept by following its event topic from the beginning (and,
 * for aggregates with an operational slice, its operational topic).
 * Owners of command partitions read it; after writing events they apply them here at once (`apply`).
 * Events are applied strictly in sequence, so the follower and the owner can both feed it without double
 * application. `waitUntilCaughtUp` tells when every event written to a partition before a point is in.
 */
export class AggregateStore<S> {
  private readonly logger: Logger;
  private readonly aggregates = new Map<string, AggregateSnapshot<S>>();
  /** The partition each aggregate's events live in (its owner is that partition's owner). */
  private readonly partitions = new Map<string, number>();
  /** Last offset the follower consumed per `topic:partition` (control records included). */
  private readonly positions = new Map<string, bigint>();
  /** Operational records of aggregates whose events have not arrived yet (a reader's topics lag differently). */
  private readonly pendingOps = new Map<string, EventEnvelope>();
  /** The offset of the latest operational record applied, per aggregate. */
  private readonly opOffsets = new Map<string, bigint>();
  private readonly waiters = new Set<{ key: string; target: bigint; resolve: () => void }>();
  /** The batched readers' pacers: a waiter ends their wait. */
  private readonly pacers = new Set<FetchPacer>();
  /** The end of every partition when the store started: ready once it has read up to there. */
  private startTargets: Map<string, bigint> | null = null;
  private readonly problemList: StoreProblem[] = [];
  private readonly problemCounts = { undecodable: 0, gap: 0 };
  private consumer: Consumer | null = null;
  private operationalConsumer: Consumer | null = null;
  private fetchedOnce = false;
  private readonly snapshotTopicName: string | null;
  /** Aggregates changed by audited events since the last checkpoint, per partition (only where one may write it). */
  private readonly dirty = new Map<number, Set<string>>();
  private tracksChanges = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Settled aggregates per partition (stores whose `fn.settled` is set). */
  private readonly settledTables = new Map<number, SettledTable>();
  /** Entries of each partition's table this process has written as chunks: 0 rewrites them all. */
  private readonly settledWritten = new Map<number, number>();
  /** Unsettled aggregates with a whole snapshot record: settling one tombstones that record. */
  private readonly individual = new Set<string>();
  /** With `settledOwnedOnly`: the partitions owned (loading their entries, or loaded); others keep none. */
  private readonly ownership = new Map<number, 'loading' | 'owned'>();
  private readonly loads = new Map<number, Promise<void>>();
  /** A few partitions load at once: each is a consumer group of its own. */
  private readonly loadSlots = new Slots(4);
  private readonly tombstones = new Map<number, Set<string>>();
  /** What the last start restored: snapshots read, and the checkpoint offsets the events were read from. */
  private restoredInfo = { snapshots: 0, checkpoints: new Map<number, bigint>(), seconds: 0 };

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly fn: EvolveFn<S>,
    /** Told of every event applied (after the state moved), e.g. to keep timestamps next to the state. */
    private readonly onApplied?: (envelope: EventEnvelope, snapshot: AggregateSnapshot<S>) => void,
    private readonly options: AggregateStoreOptions<S> = {},
  ) {
    this.logger = new Logger(`AggregateStore ${topic}`);
    reportCatchUp(groupId, () => this.caughtUpToStart());
    if (fn.operational && !options.operationalTopic)
      throw new Error(`${topic}: an aggregate with operational state needs its operational topic`);
    this.snapshotTopicName =
      options.snapshotTopic !== undefined
        ? options.snapshotTopic
        : topic.endsWith('.events')
          ? `${topic.slice(0, -'.events'.length)}.snapshots`
          : null;
  }

  private readonly listeners: ((envelope: EventEnvelope, snapshot: AggregateSnapshot<S>) => void)[] = [];
  private readonly operationalListeners: ((aggregateId: string, snapshot: AggregateSnapshot<S>) => void)[] =
    [];

  get(aggregateId: string): AggregateSnapshot<S> {
    const held = this.aggregates.get(aggregateId);
    if (held) return held;
    const code = this.fn.settled ? this.settledCodeOf(aggregateId) : undefined;
    return {
      state:
        code === undefined || !this.fn.settled
          ? this.fn.initialState()
          : this.fn.settled.state(settledKindOf(code)),
      version: code === undefined ? 0 : settledVersionOf(code),
      commands: '',
      opVersion: -1,
      sliceVersion: 0,
    };
  }

  private settledCodeOf(aggregateId: string): number | undefined {
    if (this.settledTables.size === 0) return undefined;
    const digest = settledDigest(aggregateId);
    for (const table of this.settledTables.values()) {
      const code = table.code(digest);
      if (code !== undefined) return code;
    }
    return undefined;
  }

  private settledVersion(aggregateId: string): number | undefined {
    const code = this.settledCodeOf(aggregateId);
    return code === undefined ? undefined : settledVersionOf(code);
  }

  private settledTable(partition: number): SettledTable {
    let table = this.settledTables.get(partition);
    if (!table) this.settledTables.set(partition, (table = new SettledTable()));
    return table;
  }

  private holdsSettled(partition: number): boolean {
    return !this.options.settledOwnedOnly || this.ownership.has(partition);
  }

  /** Keeps a settled aggregate as its entry, not its state; false when it is not settled. */
  private settle(
    aggregateId: string,
    snapshot: AggregateSnapshot<S>,
    partition: number | undefined,
    now = Date.now(),
  ): boolean {
    const settled = this.fn.settled;
    if (!settled || partition === undefined || this.pendingOps.has(aggregateId)) return false;
    const kind = settled.kindOf(snapshot.state, now);
    const code = kind === null ? null : settledCode(kind, snapshot.version);
    if (code === null) return false;
    // Another process owns it: its entry is that owner's to keep (and in the snapshot topic for the next one).
    if (this.holdsSettled(partition)) this.settledTable(partition).add(settledDigest(aggregateId), code);
    this.partitions.set(aggregateId, partition);
    this.dropWhole(aggregateId);
    this.dirty.get(partition)?.delete(aggregateId);
    return true;
  }

  /**
   * Settles every whole aggregate that is settled by `now` (an outgoing email a day after it was queued): the store
   * does it every `settleEveryMs`, for every partition it follows.
   */
  settleDue(now = Date.now()): number {
    if (!this.fn.settled) return 0;
    let settled = 0;
    for (const [id, snapshot] of this.aggregates)
      if (this.settle(id, snapshot, this.partitions.get(id), now)) settled += 1;
    return settled;
  }

  /** Forgets an aggregate's whole state (its entry is newer); its whole snapshot record gets a tombstone. */
  private dropWhole(aggregateId: string): void {
    const partition = this.partitions.get(aggregateId);
    this.aggregates.delete(aggregateId);
    this.partitions.delete(aggregateId);
    // Only an owner writes tombstones; a non-owner keeping them would hold one per settled email forever (the
    // next owner finds the whole record when it loads the partition, and tombstones it then).
    if (
      this.individual.delete(aggregateId) &&
      this.tracksChanges &&
      partition !== undefined &&
      this.holdsSettled(partition)
    ) {
      let set = this.tombstones.get(partition);
      if (!set) this.tombstones.set(partition, (set = new Set()));
      set.add(aggregateId);
    }
  }

  /** Settled aggregates held, and the bytes their entries take. */
  settledSize(): { aggregates: number; bytes: number } {
    let aggregates = 0;
    let bytes = 0;
    for (const t of this.settledTables.values()) {
      aggregates += t.size;
      bytes += t.bytes;
    }
    return { aggregates, bytes };
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

  private retain(state: S): S {
    return this.fn.retain ? this.fn.retain(state) : state;
  }

  /** Applies an event if it is the next one of its aggregate; older ones are ignored, gaps are reported. */
  apply(envelope: EventEnvelope, partition?: number, offset?: string): void {
    const at = partition ?? this.partitions.get(envelope.aggregateId);
    // A later event of an aggregate that settled in a partition another process owns: it was forgotten here.
    if (
      envelope.sequence > 1 &&
      at !== undefined &&
      !this.holdsSettled(at) &&
      !this.aggregates.has(envelope.aggregateId)
    )
      return;
    if (partition !== undefined) this.partitions.set(envelope.aggregateId, partition);
    const current = this.get(envelope.aggregateId);
    if (envelope.sequence <= current.version) return;
    if (envelope.sequence !== current.version + 1) {
      const detail = `sequence gap on ${envelope.aggregateId}: have ${current.version}, got ${envelope.sequence}`;
      this.logger.error(detail);
      this.problem({
        kind: 'gap',
        topic: this.topic,
        partition: partition ?? -1,
        offset: offset ?? '?',
        aggregateId: envelope.aggregateId,
        detail,
      });
      return;
    }
    const commands = ledgerAdd(current.commands, envelope.causationId);
    const op = this.fn.operational;
    let state = this.fn.evolve(current.state, { type: envelope.type, data: envelope.payload });
    let sliceVersion = current.sliceVersion ?? 0;
    const opVersion = current.opVersion ?? -1;
    if (op?.touchesSlice(envelope.type)) {
      // An operational record written at or after this event already holds the slice it led to (and later ones).
      const kept = envelope.sequence <= opVersion ? op.slice(current.state) : null;
      if (kept !== null) state = op.withSlice(state, kept);
      else sliceVersion = envelope.sequence;
    }
    const next: AggregateSnapshot<S> = {
      state: this.retain(state),
      version: envelope.sequence,
      commands,
      opVersion,
      sliceVersion,
      ...(this.options.stamps
        ? { createdAt: current.createdAt ?? envelope.occurredAt, updatedAt: envelope.occurredAt }
        : {}),
    };
    if (this.settle(envelope.aggregateId, next, at)) {
      this.onApplied?.(envelope, next);
      for (const listener of this.listeners) listener(envelope, next);
      return;
    }
    this.aggregates.set(envelope.aggregateId, next);
    if (this.tracksChanges && at !== undefined) {
      let set = this.dirty.get(at);
      if (!set) this.dirty.set(at, (set = new Set()));
      set.add(envelope.aggregateId);
    }
    this.onApplied?.(envelope, next);
    for (const listener of this.listeners) listener(envelope, next);
    const pending = this.pendingOps.get(envelope.aggregateId);
    if (pending) this.applyOperational(pending, partition);
  }

  /**
   * Applies an aggregate's latest operational record (a record of its operational topic, or one its owner just
   * committed): its slice replaces the one held, unless an audited event after it changed the slice.
   */
  applyOperational(record: EventEnvelope, partition?: number, offset?: bigint): void {
    const op = this.fn.operational;
    if (!op) return;
    const id = record.aggregateId;
    // Records of one aggregate share a sequence until its next audited event: their offsets order them. The owner
    // applies what it commits at once, and then reads it (and older records) from the topic again.
    if (offset !== undefined) {
      const seen = this.opOffsets.get(id);
      if (seen !== undefined && offset <= seen) return;
      this.opOffsets.set(id, offset);
    }
    if (partition !== undefined) this.partitions.set(id, partition);
    const current = this.get(id);
    if (record.sequence < (current.sliceVersion ?? 0)) {
      this.pendingOps.delete(id);
      return;
    }
    if (current.version < record.sequence || op.slice(current.state) === null) {
      // Written after events this store has not read yet: applied once they are in.
      this.pendingOps.set(id, record);
      return;
    }
    this.pendingOps.delete(id);
    const next: AggregateSnapshot<S> = {
      ...current,
      state: this.retain(op.withSlice(current.state, record.payload)),
      opVersion: record.sequence,
      sliceVersion: record.sequence,
    };
    this.aggregates.set(id, next);
    this.options.onOperational?.(id, next);
    for (const listener of this.operationalListeners) listener(id, next);
  }

  /** Also tells `listener` of every event applied from now on (e.g. to keep an index of aggregates due for work). */
  subscribe(listener: (envelope: EventEnvelope, snapshot: AggregateSnapshot<S>) => void): void {
    this.listeners.push(listener);
  }

  /** Also tells `listener` of every operational record applied from now on (after the state moved). */
  subscribeOperational(listener: (aggregateId: string, snapshot: AggregateSnapshot<S>) => void): void {
    this.operationalListeners.push(listener);
  }

  private topics(): string[] {
    return this.options.operationalTopic ? [this.topic, this.options.operationalTopic] : [this.topic];
  }

  async start(): Promise<void> {
    const every = this.options.settleEveryMs ?? 60_000;
    if (this.fn.settled && every > 0) {
      this.sweepTimer = setInterval(() => this.settleDue(), every);
      this.sweepTimer.unref();
    }
    this.startTargets = await this.endsNow();
    const checkpoints = await this.restore();
    // Everything below a checkpoint is in: a partition with nothing after it yields no batch to say so.
    for (const [partition, offset] of checkpoints)
      if (offset > 0n) this.advance(`${this.topic}:${partition}`, offset - 1n);
    // With `batchedOperational`, the operational topic has a batched reader of its own: its records come with every
    // poll, and a reader that must see the audited events at once would otherwise fetch at every commit.
    const apart =
      this.options.operationalTopic && this.options.batchedOperational && !this.options.batchedFollow;
    const consumer = await this.follow(
      this.groupId,
      apart ? [this.topic] : this.topics(),
      this.options.batchedFollow ?? false,
    );
    this.consumer = consumer;
    if (apart && this.options.operationalTopic)
      this.operationalConsumer = await this.follow(
        `${this.groupId}.operational`,
        [this.options.operationalTopic],
        true,
      );
    // Events below a checkpoint are in the snapshots: read each partition from there (a first fetch from the
    // beginning may slip in before the seek; its events are older than the snapshots and change nothing).
    for (const [partition, offset] of checkpoints)
      consumer.seek({ topic: this.topic, partition, offset: String(offset) });
  }

  /** A consumer reading `topics` from the beginning into this store, batched ({@link followerConsumer}) or at once. */
  private async follow(groupId: string, topics: string[], batched: boolean): Promise<Consumer> {
    const config = { groupId, retry: { retries: 10 } };
    const { consumer, pacer } = batched
      ? followerConsumer(this.kafka, config, this.options.followPaceMs ?? FOLLOWER_PACE_MS)
      : { consumer: this.kafka.consumer({ ...config, ...IMMEDIATE_FETCH }), pacer: null };
    trackConsumerLag(consumer, groupId);
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.advance(`${payload.topic}:${payload.partition}`, BigInt(payload.lastOffset));
    });
    consumer.on(consumer.events.FETCH, () => {
      this.fetchedOnce = true;
    });
    if (pacer) this.pacers.add(pacer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const operational = batch.topic !== this.topic;
        // A partition being owned is read by its loader first: events after it stay in order behind it.
        while (!operational && this.ownership.get(batch.partition) === 'loading') {
          const load = this.loads.get(batch.partition);
          await Promise.race([load?.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
          await heartbeat();
        }
        for (const message of batch.messages) {
          const envelope = decodeEvent(message.value);
          if (!envelope) {
            // A tombstone in a compacted topic is no problem; anything else unreadable is.
            if (message.value === null && operational) continue;
            this.undecodable(batch.topic, batch.partition, message.offset);
            continue;
          }
          if (operational) this.applyOperational(envelope, batch.partition, BigInt(message.offset));
          else this.apply(envelope, batch.partition, message.offset);
        }
        await heartbeat();
        // Someone waiting for a partition's end (an owner taking it over) does not wait for the pace.
        await pacer?.settle(this.caughtUpToStart() && this.waiters.size === 0);
      },
    });
    return consumer;
  }

  /**
   * Reads the snapshot topic to its end: the latest snapshot of each aggregate, and each partition's checkpoint
   * (docs/adr/0011). Returns the event offsets to continue from.
   */
  private async restore(): Promise<Map<number, bigint>> {
    const topic = this.snapshotTopicName;
    const checkpoints = new Map<number, bigint>();
    if (!topic) return checkpoints;
    const started = Date.now();
    const ends = new Map<number, bigint>();
    for (const [key, high] of await this.endsNow([topic]))
      ends.set(Number(key.slice(topic.length + 1)), high);
    if (ends.size === 0) return checkpoints;
    let snapshots = 0;
    const consumer = this.kafka.consumer({
      groupId: `${this.groupId}.restore`,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 8 * 1024 * 1024,
      retry: { retries: 10 },
    });
    const reached = new Map<number, bigint>();
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const check = () => {
      if ([...ends].every(([p, high]) => (reached.get(p) ?? -1n) >= high - 1n)) done();
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      reached.set(payload.partition, BigInt(payload.lastOffset));
      check();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          for (const message of batch.messages) {
            const restored = this.restoreRecord(topic, batch.partition, message, checkpoints);
            if (restored) snapshots += 1;
          }
          await heartbeat();
        },
      });
      check();
      // A partition whose end cannot be reached (its tail compacted away) must not hold the start forever: what was
      // read is consistent, since a checkpoint follows its snapshots in the same partition.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 120_000)));
      if (await Promise.race([finished.then(() => false), late]))
        this.logger.warn(`${topic} not read to its end within 120 s: restored what was read`);
      clearTimeout(timer);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    this.dropWholeSettled();
    this.restoredInfo = { snapshots, checkpoints, seconds: (Date.now() - started) / 1000 };
    const settledCount = this.settledSize().aggregates;
    this.logger.log(
      `restored ${snapshots} snapshot(s)${settledCount > 0 ? ` and ${settledCount} settled` : ''} in ${this.restoredInfo.seconds.toFixed(1)} s; events from ${[...checkpoints].map(([p, o]) => `${p}@${o}`).join(' ') || 'the beginning'}`,
    );
    return checkpoints;
  }

  /**
   * One record of the snapshot topic read at start or when owning a partition: tombstone, checkpoint, settled chunk
   * or whole snapshot. True when it restored an aggregate.
   */
  private restoreRecord(
    topic: string,
    partition: number,
    message: KafkaMessage,
    checkpoints: Map<number, bigint>,
  ): boolean {
    if (message.value === null) {
      // A whole snapshot's tombstone: the aggregate settled (docs/adr/0012); a chunk holds it.
      const key = message.key?.toString('utf8') ?? '';
      if (!key.startsWith('~') && this.aggregates.delete(key)) {
        this.partitions.delete(key);
        this.individual.delete(key);
      }
      return false;
    }
    let record: SnapshotRecord<S>;
    try {
      record = decodeSnapshot<SnapshotRecord<S>>(message.value.toString('utf8'));
    } catch {
      // A cache entry that cannot be read costs only time: its events are read instead, from 0.
      this.logger.warn(`unreadable snapshot at ${topic}[${partition}]@${message.offset}: ignored`);
      checkpoints.delete(partition);
      return false;
    }
    if (record.kind === 'checkpoint') checkpoints.set(record.partition, BigInt(record.eventsOffset));
    else if (record.kind === 'settled') {
      if (this.holdsSettled(record.partition))
        this.settledTable(record.partition).addEncoded(Buffer.from(record.entries, 'base64'));
    } else if (record.kind === 'aggregate') return this.restoreOne(record);
    return false;
  }

  /** A whole snapshot written before its aggregate settled (not yet compacted away) yields to the entry. */
  private dropWholeSettled(partition?: number): void {
    if (!this.fn.settled) return;
    for (const [id, held] of [...this.aggregates])
      if (
        (partition === undefined || this.partitions.get(id) === partition) &&
        (this.settledVersion(id) ?? 0) >= held.version
      )
        this.dropWhole(id);
  }

  /**
   * Owns `partition` (with `settledOwnedOnly`; otherwise nothing to do): loads its settled entries and the whole
   * snapshots from the snapshot topic, then its events after the checkpoint, so that deciding on it sees every
   * aggregate the previous owner saw. The follower waits for it. Resolves when loaded (again: the same promise).
   */
  own(partition: number): Promise<void> {
    if (!this.options.settledOwnedOnly || !this.fn.settled) return Promise.resolve();
    const existing = this.loads.get(partition);
    if (existing) return existing;
    this.ownership.set(partition, 'loading');
    const load = this.loadSlots
      .run(() => this.load(partition))
      .then(
        () => {
          if (this.loads.get(partition) === load) this.ownership.set(partition, 'owned');
        },
        (error: unknown) => {
          if (this.loads.get(partition) === load) this.disown(partition);
          throw error;
        },
      );
    this.loads.set(partition, load);
    return load;
  }

  /** No longer owns `partition`: its settled entries are its new owner's to keep. */
  disown(partition: number): void {
    if (!this.ownership.has(partition)) return;
    this.ownership.delete(partition);
    this.loads.delete(partition);
    this.settledTables.delete(partition);
    this.settledWritten.delete(partition);
    this.tombstones.delete(partition);
  }

  /** Owned partitions whose entries are still loading: their owner cannot decide yet (readiness says so). */
  loadingPartitions(): number[] {
    return [...this.ownership].filter(([, s]) => s === 'loading').map(([p]) => p);
  }

  /** The partitions whose settled entries this store holds (with `settledOwnedOnly`). */
  ownedPartitions(): number[] {
    return [...this.ownership.keys()].sort((a, b) => a - b);
  }

  private async load(partition: number): Promise<void> {
    const started = Date.now();
    const checkpoints = new Map<number, bigint>();
    let snapshots = 0;
    const topic = this.snapshotTopicName;
    if (topic)
      await this.readPartition(topic, partition, 0n, (message) => {
        if (this.restoreRecord(topic, partition, message, checkpoints)) snapshots += 1;
      });
    this.dropWholeSettled(partition);
    let events = 0;
    await this.readPartition(this.topic, partition, checkpoints.get(partition) ?? 0n, (message) => {
      const envelope = decodeEvent(message.value);
      if (!envelope) return this.undecodable(this.topic, partition, message.offset);
      this.apply(envelope, partition, message.offset);
      events += 1;
    });
    // Owned no more while it loaded: what it read of the entries is not this process's to keep.
    if (!this.ownership.has(partition)) this.settledTables.delete(partition);
    this.logger.log(
      `owns partition ${partition}: ${this.settledTables.get(partition)?.size ?? 0} settled, ${snapshots} snapshot(s) and ${events} event(s) read in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  /**
   * Reads one partition of `topic` from `from` to its end as it is now, with a consumer of its own (kafkajs has no
   * assign(): a fresh group subscribes, pauses the other partitions and seeks this one).
   */
  private async readPartition(
    topic: string,
    partition: number,
    from: bigint,
    each: (message: KafkaMessage) => void,
  ): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let offsets: { partition: number; high: string; low: string }[];
    try {
      if (!(await admin.listTopics()).includes(topic)) return;
      offsets = await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const mine = offsets.find((o) => o.partition === partition);
    if (!mine) return;
    const high = BigInt(mine.high);
    const start = from > BigInt(mine.low) ? from : BigInt(mine.low);
    if (start >= high) return;
    const consumer = this.kafka.consumer({
      groupId: `${this.groupId}.own.${partition}.${randomUUID().slice(0, 8)}`,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 8 * 1024 * 1024,
      retry: { retries: 10 },
    });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    /** Nothing is read twice (a batch fetched before the seek could come after it). */
    let next = start;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const running = consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          if (batch.partition !== partition) return;
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset < next) continue;
            if (offset >= high) break;
            next = offset + 1n;
            each(message);
          }
          if (BigInt(batch.lastOffset()) >= high - 1n) done();
          await heartbeat();
        },
      });
      // Before the group is joined (run creates it at once): the first fetch asks for this partition alone.
      consumer.pause([{ topic, partitions: offsets.map((o) => o.partition).filter((p) => p !== partition) }]);
      consumer.seek({ topic, partition, offset: String(start) });
      await running;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 120_000)));
      const timedOut = await Promise.race([finished.then(() => false), late]);
      clearTimeout(timer);
      if (timedOut) throw new Error(`${topic}[${partition}] not read to ${high} within 120 s`);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  /** Takes a snapshot in unless the store has that version already. */
  private restoreOne(record: Extract<SnapshotRecord<S>, { kind: 'aggregate' }>): boolean {
    if (this.get(record.aggregateId).version >= record.version) return false;
    const { kind: _kind, aggregateId, partition, ...snapshot } = record;
    if (!this.options.stamps) {
      delete snapshot.createdAt;
      delete snapshot.updatedAt;
    }
    const restored: AggregateSnapshot<S> = { ...snapshot, state: this.retain(snapshot.state) };
    if (this.fn.settled) this.individual.add(aggregateId);
    // A settled one (also one an older version wrote whole) becomes an entry; its record gets a tombstone.
    if (!this.settle(aggregateId, restored, partition)) {
      this.aggregates.set(aggregateId, restored);
      this.partitions.set(aggregateId, partition);
    }
    for (const listener of this.restoreListeners) listener(aggregateId, restored);
    return true;
  }

  private readonly restoreListeners: ((aggregateId: string, snapshot: AggregateSnapshot<S>) => void)[] = [];

  /** Also tells `listener` of every aggregate taken from a snapshot at start (it has no events to be told of). */
  onRestored(listener: (aggregateId: string, snapshot: AggregateSnapshot<S>) => void): void {
    this.restoreListeners.push(listener);
  }

  /** What the last start restored from snapshots. */
  restored(): { snapshots: number; seconds: number; checkpoints: Record<number, string> } {
    return {
      snapshots: this.restoredInfo.snapshots,
      seconds: this.restoredInfo.seconds,
      checkpoints: Object.fromEntries([...this.restoredInfo.checkpoints].map(([p, o]) => [p, String(o)])),
    };
  }

  snapshotTopic(): string | null {
    return this.snapshotTopicName;
  }

  /**
   * The snapshots a partition's owner writes at a checkpoint: every aggregate changed by audited events since the
   * last one (taken out of the dirty set), then the checkpoint — the offset after the last event this store has
   * read from the partition. Null when there is nothing to write or no position to name yet.
   */
  takeSnapshots(partition: number): SnapshotBatch<S> | null {
    // Chunks from a table still loading would overwrite the previous owner's with fewer entries.
    if (this.options.settledOwnedOnly && this.fn.settled && this.ownership.get(partition) !== 'owned')
      return null;
    const dirty = this.dirty.get(partition) ?? new Set<string>();
    const dead = this.tombstones.get(partition) ?? new Set<string>();
    const position = this.positions.get(`${this.topic}:${partition}`);
    const table = this.settledTables.get(partition);
    const written = this.settledWritten.get(partition) ?? 0;
    const settledNew = table !== undefined && table.size > written;
    if ((dirty.size === 0 && dead.size === 0 && !settledNew) || position === undefined) return null;
    const ids = [...dirty];
    dirty.clear();
    const tombstones = [...dead];
    dead.clear();
    const records: SnapshotRecord<S>[] = ids.map((aggregateId) => ({
      kind: 'aggregate',
      aggregateId,
      partition,
      ...this.get(aggregateId),
    }));
    for (const aggregateId of tombstones) records.push({ kind: 'tombstone', aggregateId, partition });
    if (settledNew) {
      // From the chunk that was last written partly (all of them after `rewriteSettled`) to the end.
      const per = this.options.settledChunkEntries ?? SETTLED_CHUNK_ENTRIES;
      for (let chunk = Math.floor(written / per); chunk * per < table.size; chunk += 1) {
        const from = chunk * per;
        const to = Math.min(table.size, from + per);
        records.push({
          kind: 'settled',
          partition,
          chunk,
          entries: table.encode(from, to).toString('base64'),
        });
      }
    }
    records.push({
      kind: 'checkpoint',
      partition,
      eventsOffset: String(position + 1n),
      writtenAt: new Date().toISOString(),
    });
    for (const id of ids) if (this.fn.settled) this.individual.add(id);
    return { records, ids, tombstones, settledUpTo: settledNew ? table.size : null };
  }

  /**
   * From now on, remember which aggregates change, for the snapshots a command processor writes. A store nobody
   * writes snapshots from (the API's directory) keeps no such set.
   */
  trackChanges(): void {
    this.tracksChanges = true;
  }

  /** The batch is committed: its settled chunks cover the table up to where they were taken. */
  snapshotsWritten(partition: number, batch: SnapshotBatch<S>): void {
    if (batch.settledUpTo !== null)
      this.settledWritten.set(
        partition,
        Math.max(this.settledWritten.get(partition) ?? 0, batch.settledUpTo),
      );
  }

  /** The batch was not written: its aggregates and tombstones are due again. */
  snapshotsFailed(partition: number, batch: SnapshotBatch<S>): void {
    let set = this.dirty.get(partition);
    if (!set) this.dirty.set(partition, (set = new Set()));
    for (const id of batch.ids) set.add(id);
    let dead = this.tombstones.get(partition);
    if (!dead) this.tombstones.set(partition, (dead = new Set()));
    for (const id of batch.tombstones) dead.add(id);
  }

  /**
   * A new owner of `partition` writes all of its settled chunks at its next checkpoint: its order of entries is not
   * its predecessor's, and a whole rewrite leaves every entry it holds under some chunk key (docs/adr/0012).
   */
  rewriteSettled(partition: number): void {
    this.settledWritten.delete(partition);
  }

  /** The end of each partition now; retried while a topic created a moment ago has no leader yet. */
  private async endsNow(topics = this.topics()): Promise<Map<string, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const targets = new Map<string, bigint>();
          const existing = new Set(await admin.listTopics());
          for (const topic of topics) {
            // A snapshot topic an older deployment never created: nothing to restore (any other topic must exist).
            if (topic === this.snapshotTopicName && !existing.has(topic)) continue;
            for (const o of await admin.fetchTopicOffsets(topic)) {
              if (BigInt(o.high) > BigInt(o.low)) targets.set(`${topic}:${o.partition}`, BigInt(o.high));
            }
          }
          return targets;
        } catch (error) {
          if (attempt >= 30) throw error;
          await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
        }
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private undecodable(topic: string, partition: number, offset: string): void {
    const detail = `a record that is not an event envelope at ${topic}[${partition}]@${offset}: skipped`;
    this.logger.error(detail);
    this.problem({ kind: 'undecodable', topic, partition, offset, aggregateId: null, detail });
  }

  private problem(p: StoreProblem): void {
    this.problemCounts[p.kind] += 1;
    this.problemList.push(p);
    if (this.problemList.length > PROBLEMS_KEPT) this.problemList.shift();
  }

  /** Gaps and unreadable records met so far: readiness reports them. */
  problems(): { undecodable: number; gaps: number; recent: StoreProblem[] } {
    return {
      undecodable: this.problemCounts.undecodable,
      gaps: this.problemCounts.gap,
      recent: [...this.problemList],
    };
  }

  private advance(key: string, lastOffset: bigint): void {
    const previous = this.positions.get(key);
    if (previous === undefined || lastOffset > previous) this.positions.set(key, lastOffset);
    for (const waiter of this.waiters) {
      if (waiter.key === key && lastOffset >= waiter.target - 1n) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private reached(key: string, target: bigint): boolean {
    const position = this.positions.get(key);
    return position !== undefined && position >= target - 1n;
  }

  /**
   * Resolves once every record below `highWatermark` of `partition` has been consumed — of the event topic, or
   * of the operational topic with `operational`.
   */
  waitUntilCaughtUp(
    partition: number,
    lowWatermark: bigint,
    highWatermark: bigint,
    timeoutMs = 120000,
    operational = false,
  ): Promise<void> {
    if (highWatermark <= lowWatermark) return Promise.resolve();
    const topic = operational ? this.options.operationalTopic : this.topic;
    if (!topic) return Promise.resolve();
    const key = `${topic}:${partition}`;
    if (this.reached(key, highWatermark)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        key,
        target: highWatermark,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${key} not caught up to ${highWatermark} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
      for (const pacer of this.pacers) pacer.hurry();
    });
  }

  /**
   * Resolves once every event of `partition` written before the call has been read: a reader that resumes work
   * after the broker was away (a bulk job) sees what was recorded meanwhile instead of doing it again.
   */
  async catchUpNow(partition: number, timeoutMs = 60000): Promise<void> {
    const end = (await this.endsNow([this.topic])).get(`${this.topic}:${partition}`);
    if (end !== undefined) await this.waitUntilCaughtUp(partition, 0n, end, timeoutMs);
  }

  /** True once it has read every record its topics held when it started (readiness: never a half-restored state). */
  caughtUpToStart(): boolean {
    if (!this.startTargets) return false;
    for (const [key, target] of this.startTargets) {
      if (!this.reached(key, target)) return false;
      this.startTargets.delete(key);
    }
    return true;
  }

  /** Records still to read before `caughtUpToStart` (an estimate from the partitions' ends at start). */
  startLag(): number {
    if (!this.startTargets) return Number.NaN;
    let lag = 0n;
    for (const [key, target] of this.startTargets) {
      const position = this.positions.get(key) ?? -1n;
      if (position < target - 1n) lag += target - 1n - position;
    }
    return Number(lag);
  }

  isFollowing(): boolean {
    return this.fetchedOnce;
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await Promise.all([this.consumer?.disconnect(), this.operationalConsumer?.disconnect()]);
    this.consumer = null;
    this.operationalConsumer = null;
    this.pacers.clear();
  }
}
