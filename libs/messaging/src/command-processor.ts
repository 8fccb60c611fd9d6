import { Logger } from '@nestjs/common';
import { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicMessages } from 'kafkajs';
import { kafkaTransactions, withLogContext } from '@ssync/common';
import {
  AggregateSnapshot,
  AggregateStore,
  OperationalSlice,
  SNAPSHOT_CHECKPOINT_KEY,
} from './aggregate-store';
import { CommandDecision, decideCommand } from './decide-command';
import { settledChunkKey } from './settled';
import { encodeSnapshot } from './snapshot-codec';
import { LingerQueue } from './linger-queue';
import { AggregateType, CommandEnvelope, CommandFailure, CommandResult, EventEnvelope } from './envelope';
import { aggregateTopics, operationalTopic, resultsTopic } from './topics';
import { trackConsumerLag } from './consumer-metrics';
import { FetchPacer } from './kafka';

/** The pure part of an aggregate, as the processor needs it. */
export interface AggregateDefinition<C, E extends { type: string; data: unknown }, S> {
  aggregateType: AggregateType;
  initialState(): S;
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  /** Maps a refusal thrown by `decide` to a failure; anything else is a bug and is rethrown. */
  toFailure(error: unknown): CommandFailure | null;
  /** What the caller gets as `state` in the result (default: the whole state); keeps large states off the wire. */
  resultState?(state: S): unknown;
  /** The operational slice of the state, if it has one (see {@link OperationalSlice}). */
  operational?: OperationalSlice<S>;
}

export interface CommandProcessorOptions<C = unknown> {
  topicPrefix: string;
  orgId: string;
  instanceId: string;
  /** Most commands of one partition decided in one transaction. */
  maxCommandsPerTransaction?: number;
  /** How often the owner of a partition writes the snapshots of the aggregates changed since the last time (0: never). */
  snapshotEveryMs?: number;
  /**
   * How long a command decided here may wait for others of its partition to share its transaction (default 0), or
   * that per command. Each transaction costs the broker several log appends whatever it holds, so at tens of
   * commands a second per partition a few milliseconds' wait halves the transactions. A partition's transaction
   * goes when its most pressing command's wait is over, and takes every command waiting.
   */
  lingerMs?: number | ((envelope: CommandEnvelope<C>) => number);
  /**
   * Fetch the commands topic no more often than this, once caught up (0: at every command, the default). Commands
   * that arrive meanwhile are decided together, in one transaction per partition instead of one each: for commands
   * whose callers can wait that long (a tracked message's, at tens a second).
   */
  topicPaceMs?: number;
}

/** Snapshot bytes per produce request: a record batch stays under the topics' 1 MB default limit. */
const SNAPSHOT_BYTES_PER_SEND = 768 * 1024;

interface PartitionOwner {
  producer: Producer;
}

/**
 * Owns the command partitions of one aggregate type: the only writer of their events (ARCHITECTURE invariant 2).
 *
 * For each assigned partition it opens a transactional producer whose id names the partition, so a new owner
 * fences a zombie one; it waits until its {@link AggregateStore} holds every event already written to that
 * partition, then decides commands batch by batch. The events, the results for the callers and the consumed
 * command offsets are committed in one Kafka transaction: a command's effect is either complete or absent, and a
 * redelivered command (same id) is answered without a second effect.
 */
export class CommandProcessor<C, E extends { type: string; data: unknown }, S> {
  private readonly logger: Logger;
  private readonly topics: { commands: string; events: string; results: string; operational: string | null };
  private readonly groupId: string;
  private readonly owners = new Map<number, Promise<PartitionOwner>>();
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private assigned: number[] = [];
  private joined = false;
  /** Commands and snapshot writes of one partition share its transactional producer: one at a time. */
  private readonly locks = new Map<number, Promise<void>>();
  /** Commands of this process waiting for their partition's next transaction (see {@link decideHere}). */
  private readonly local = new Map<
    number,
    LingerQueue<{
      envelope: CommandEnvelope<C>;
      resolve: (result: CommandResult<S> | null) => void;
      reject: (error: unknown) => void;
    }>
  >();
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotting: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly store: AggregateStore<S>,
    private readonly definition: AggregateDefinition<C, E, S>,
    private readonly options: CommandProcessorOptions<C>,
  ) {
    const t = aggregateTopics(options.topicPrefix, definition.aggregateType);
    this.topics = {
      ...t,
      results: resultsTopic(options.topicPrefix),
      operational: definition.operational
        ? operationalTopic(options.topicPrefix, definition.aggregateType)
        : null,
    };
    this.groupId = `${options.topicPrefix}.${definition.aggregateType}.command-processor`;
    // Its owner writes the snapshots (on a timer, at stop, or when asked): the store remembers what changed.
    if (store.snapshotTopic()) store.trackChanges();
    this.logger = new Logger(`CommandProcessor ${definition.aggregateType}`);
  }

  /** True once this process has joined the group (with or without partitions). */
  isReady(): boolean {
    return this.joined && this.store.isFollowing();
  }

  assignedPartitions(): number[] {
    return [...this.assigned];
  }

  /** Whether this process owns `partition` now (asked per mailbox on every tick: no copy). */
  owns(partition: number): boolean {
    return this.assigned.includes(partition);
  }

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      // A fetch returns as soon as a command arrives (minBytes 1): the wait only bounds fetches while idle.
      maxWaitTimeInMs: 500,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      retry: { retries: 20 },
    });
    this.consumer = consumer;
    const pace = this.options.topicPaceMs ?? 0;
    const pacer = pace > 0 ? new FetchPacer(consumer, pace) : null;
    trackConsumerLag(consumer, this.groupId);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = payload.memberAssignment[this.topics.commands] ?? [];
      this.onAssignment(mine);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts it itself (the broker away, a rebalance): a warning; one it gives up on is an error.
      const line = `consumer crashed (restart: ${String(payload.restart)}): ${String(payload.error)}`;
      if (payload.restart) this.logger.warn(line);
      else this.logger.error(line);
      this.dropAllOwners();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.commands, fromBeginning: true });
    const every = this.options.snapshotEveryMs ?? 30_000;
    if (every > 0 && this.store.snapshotTopic())
      this.snapshotTimer = setInterval(() => {
        this.snapshotting = this.snapshotting.then(() => this.writeSnapshots());
      }, every);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async (payload) => {
        await this.handleBatch(payload);
        await pacer?.settle(payload.batch.offsetLag() === '0');
      },
    });
  }

  private onAssignment(partitions: number[]): void {
    const next = new Set(partitions);
    for (const p of this.owners.keys()) {
      if (!next.has(p)) this.dropOwner(p);
    }
    for (const p of this.assigned) if (!next.has(p)) this.store.disown(p);
    // What a partition's owner needs beyond what every reader keeps is loaded now, before its first command.
    for (const p of next)
      this.store
        .own(p)
        .catch((error: unknown) => this.logger.warn(`cannot load partition ${p} yet: ${String(error)}`));
    this.assigned = [...next].sort((a, b) => a - b);
    this.joined = true;
    this.logger.log(`owns partitions [${this.assigned.join(', ')}] of ${this.topics.commands}`);
  }

  private dropOwner(partition: number): void {
    const owner = this.owners.get(partition);
    this.owners.delete(partition);
    void owner?.then((o) => o.producer.disconnect()).catch(() => undefined);
  }

  private dropAllOwners(): void {
    for (const p of [...this.owners.keys()]) this.dropOwner(p);
  }

  /** Becomes the writer of `partition`: fence any previous writer, then catch the state up. */
  private owner(partition: number): Promise<PartitionOwner> {
    let owner = this.owners.get(partition);
    if (!owner) {
      owner = this.becomeOwner(partition);
      this.owners.set(partition, owner);
      this.store.rewriteSettled(partition);
      owner.catch(() => this.owners.delete(partition));
    }
    return owner;
  }

  private async becomeOwner(partition: number): Promise<PartitionOwner> {
    const producer = this.kafka.producer({
      transactionalId: `${this.options.topicPrefix}.${this.definition.aggregateType}.writer.p${partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60000,
      // The broker answers CONCURRENT_TRANSACTIONS while it still writes the previous commit's markers; retry
      // soon (as the Java client does) instead of after kafkajs' default 300 ms.
      retry: { initialRetryTime: 10, maxRetryTime: 1000, retries: 30 },
    });
    await producer.connect();
    // Initialising the transactional id bumps its epoch: a previous owner still running is fenced from here on,
    // and its unfinished transaction is aborted, so the partition's end is final for what we read next.
    const fence = await producer.transaction();
    await fence.abort();
    await this.store.own(partition);
    const offsets = await this.admin!.fetchTopicOffsets(this.topics.events);
    const mine = offsets.find((o) => o.partition === partition);
    if (mine) await this.store.waitUntilCaughtUp(partition, BigInt(mine.low), BigInt(mine.high));
    if (this.topics.operational) {
      // The latest operational records (cursor, poll claim) of the previous owner, too, before deciding anything.
      const ops = await this.admin!.fetchTopicOffsets(this.topics.operational);
      const op = ops.find((o) => o.partition === partition);
      if (op) await this.store.waitUntilCaughtUp(partition, BigInt(op.low), BigInt(op.high), 120000, true);
    }
    this.logger.debug(
      `writer of ${this.topics.events}[${partition}] ready at ${mine?.low}..${mine?.high}, store has ${this.store.size()} aggregate(s)`,
    );
    return { producer };
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const max = this.options.maxCommandsPerTransaction ?? 500;
    let owner: PartitionOwner;
    try {
      owner = await this.owner(partition);
    } catch (error) {
      this.logger.warn(`cannot own partition ${partition} yet: ${String(error)}`);
      throw error;
    }
    for (let i = 0; i < batch.messages.length; i += max) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + max);
      const envelopes = chunk
        .map((message) => this.parse(message))
        .filter((e): e is CommandEnvelope<C> => e !== null);
      const lastOffset = chunk[chunk.length - 1]!.offset;
      await this.locked(partition, () => this.decideAndCommit(owner, partition, envelopes, { lastOffset }));
      resolveOffset(lastOffset);
      await heartbeat();
    }
  }

  /**
   * Decides a command in this process, which owns the aggregate's partition and has written to it already: the
   * same decision, transaction and fencing as a command read from the commands topic, without the trip through
   * the commands and results topics (two produce requests, two fetches, a result every caller reads). Commands
   * that arrive while the partition's previous transaction runs share the next one. Resolves null when this
   * process is not the partition's writer now: the caller sends the command through the topic, where the owner
   * decides it. A fenced or failed transaction rejects (nothing was decided).
   */
  decideHere(partition: number, envelope: CommandEnvelope<C>): Promise<CommandResult<S> | null> {
    // Only a writer this process already is: becoming one here could fence the real owner mid-rebalance.
    if (!this.owns(partition) || !this.owners.has(partition)) return Promise.resolve(null);
    const option = this.options.lingerMs ?? 0;
    const linger = typeof option === 'number' ? option : option(envelope);
    return new Promise((resolve, reject) => {
      let queue = this.local.get(partition);
      if (!queue) {
        queue = new LingerQueue(() => void this.locked(partition, () => this.decideLocal(partition)));
        this.local.set(partition, queue);
      }
      queue.add({ envelope, resolve, reject }, linger);
    });
  }

  private async decideLocal(partition: number): Promise<void> {
    const queue = this.local.get(partition)?.take() ?? [];
    if (queue.length === 0) return;
    const owner = this.owns(partition) ? this.owners.get(partition) : undefined;
    let producer: PartitionOwner;
    try {
      if (!owner) throw new Error('not the writer');
      producer = await owner;
    } catch {
      for (const item of queue) item.resolve(null);
      return;
    }
    try {
      const results = await this.decideAndCommit(
        producer,
        partition,
        queue.map((item) => item.envelope),
        null,
      );
      const byId = new Map(results.map((r) => [r.commandId, r]));
      for (const item of queue) item.resolve(byId.get(item.envelope.commandId) ?? null);
    } catch (error) {
      for (const item of queue) item.reject(error);
    }
  }

  /**
   * Decides `envelopes` in order and commits their events, operational records and — for commands read from the
   * topic (`consumed`) — their results and the consumed offset, in one transaction.
   */
  private async decideAndCommit(
    owner: PartitionOwner,
    partition: number,
    envelopes: CommandEnvelope<C>[],
    consumed: { lastOffset: string } | null,
  ): Promise<CommandResult<S>[]> {
    const touched = new Map<string, AggregateSnapshot<S>>();
    const events: EventEnvelope[] = [];
    const results: CommandResult<S>[] = [];
    /** The latest operational record per aggregate of this batch (compaction keeps only the last anyway). */
    const operational = new Map<string, EventEnvelope>();
    for (const envelope of envelopes) {
      const outcome = this.decideOne(envelope, touched);
      events.push(...outcome.events);
      results.push(outcome.result);
      if (outcome.operational) operational.set(outcome.operational.aggregateId, outcome.operational);
    }
    this.logger.debug(
      `p${partition} ${consumed ? `to offset ${consumed.lastOffset}` : 'here'}: ${events.length} event(s) ${events.map((e) => `${e.aggregateId.slice(0, 8)}#${e.sequence}<${e.causationId.slice(0, 8)}`).join(' ')}`,
    );
    if (events.length === 0 && operational.size === 0 && !consumed) return results;
    /** The offset of the first operational record written: the store orders a partition's records by it. */
    let opBase: bigint | undefined;
    const txn = await owner.producer.transaction();
    try {
      // One produce request for all of it: each separate send was its own AddPartitionsToTxn and Produce round trip
      // (and the broker's verification of it), up to three per transaction.
      const topicMessages: TopicMessages[] = [];
      if (events.length > 0)
        topicMessages.push({
          topic: this.topics.events,
          messages: events.map((e) => ({
            key: e.aggregateId,
            partition,
            value: JSON.stringify(e),
            headers: { type: e.type },
          })),
        });
      const operationalTopic = operational.size > 0 ? this.topics.operational : undefined;
      if (operationalTopic)
        topicMessages.push({
          topic: operationalTopic,
          messages: [...operational.values()].map((r) => ({
            key: r.aggregateId,
            partition,
            value: JSON.stringify(r),
          })),
        });
      if (consumed && results.length > 0)
        topicMessages.push({
          topic: this.topics.results,
          messages: results.map((r) => ({ key: r.replyTo, value: JSON.stringify(r) })),
        });
      if (topicMessages.length > 0) {
        const written = await txn.sendBatch({ topicMessages });
        const op = operationalTopic
          ? written.find((w) => w.topicName === operationalTopic && w.partition === partition)
          : undefined;
        const base = op?.baseOffset ?? op?.offset;
        if (base !== undefined) opBase = BigInt(base);
      }
      if (consumed)
        await txn.sendOffsets({
          consumerGroupId: this.groupId,
          topics: [
            {
              topic: this.topics.commands,
              partitions: [{ partition, offset: (BigInt(consumed.lastOffset) + 1n).toString() }],
            },
          ],
        });
      await txn.commit();
      kafkaTransactions.inc({ aggregate: this.definition.aggregateType, via: consumed ? 'topic' : 'here' });
    } catch (error) {
      await txn.abort().catch(() => undefined);
      // Whatever happened, this process may no longer be the writer: start over from the log.
      this.dropOwner(partition);
      throw error;
    }
    for (const e of events) this.store.apply(e, partition);
    [...operational.values()].forEach((r, i) =>
      this.store.applyOperational(r, partition, opBase === undefined ? undefined : opBase + BigInt(i)),
    );
    return results;
  }

  private parse(message: KafkaMessage): CommandEnvelope<C> | null {
    try {
      const envelope = JSON.parse(message.value?.toString('utf8') ?? 'null') as CommandEnvelope<C>;
      if (!envelope || typeof envelope.aggregateId !== 'string' || typeof envelope.commandId !== 'string')
        throw new Error('not a command envelope');
      return envelope;
    } catch (error) {
      this.logger.error(`skipping a malformed command at offset ${message.offset}: ${String(error)}`);
      return null;
    }
  }

  private decideOne(
    envelope: CommandEnvelope<C>,
    touched: Map<string, AggregateSnapshot<S>>,
  ): CommandDecision<S> {
    const id = envelope.aggregateId;
    const fields = {
      correlationId: envelope.correlationId,
      commandId: envelope.commandId,
      aggregateType: this.definition.aggregateType,
      aggregateId: id,
    };
    const decision = withLogContext(fields, () =>
      decideCommand(
        this.definition,
        touched.get(id) ?? this.store.get(id),
        envelope,
        this.options.orgId,
        (error) =>
          this.logger.error(
            `decide failed for ${envelope.type} on ${id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          ),
      ),
    );
    touched.set(id, decision.snapshot);
    return decision;
  }

  private locked<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(partition) ?? Promise.resolve();
    const run = previous.then(fn);
    this.locks.set(
      partition,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  }

  /**
   * Snapshots (docs/adr/0011): for each partition it owns, the aggregates changed since the last checkpoint and a
   * new checkpoint, in one transaction of the partition's fenced producer — so a zombie owner cannot write a stale
   * snapshot after its successor's, and a reader sees a checkpoint only with the snapshots it covers.
   */
  async writeSnapshots(): Promise<void> {
    const topic = this.store.snapshotTopic();
    if (!topic) return;
    for (const partition of this.assigned) {
      const owner = this.owners.get(partition);
      if (!owner) continue;
      await this.locked(partition, async () => {
        let producer: Producer;
        try {
          producer = (await owner).producer;
        } catch {
          return;
        }
        const batch = this.store.takeSnapshots(partition);
        if (!batch) return;
        const txn = await producer.transaction();
        try {
          let chunk: { key: string; value: string | null; partition: number }[] = [];
          let bytes = 0;
          for (const record of batch.records) {
            const value = record.kind === 'tombstone' ? null : encodeSnapshot(record);
            const key =
              record.kind === 'checkpoint'
                ? `${SNAPSHOT_CHECKPOINT_KEY}${partition}`
                : record.kind === 'settled'
                  ? settledChunkKey(partition, record.chunk)
                  : record.aggregateId;
            if (chunk.length > 0 && bytes + (value?.length ?? 0) > SNAPSHOT_BYTES_PER_SEND) {
              await txn.send({ topic, messages: chunk });
              chunk = [];
              bytes = 0;
            }
            chunk.push({ key, value, partition });
            bytes += value?.length ?? 0;
          }
          await txn.send({ topic, messages: chunk });
          await txn.commit();
          kafkaTransactions.inc({ aggregate: this.definition.aggregateType, via: 'snapshot' });
          this.store.snapshotsWritten(partition, batch);
        } catch (error) {
          await txn.abort().catch(() => undefined);
          this.store.snapshotsFailed(partition, batch);
          this.logger.warn(`snapshots of partition ${partition} not written: ${String(error)}`);
          this.dropOwner(partition);
        }
      }).catch((error: unknown) => this.logger.warn(`snapshot write failed: ${String(error)}`));
    }
  }

  async stop(): Promise<void> {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    this.snapshotTimer = null;
    await this.snapshotting;
    // A last checkpoint, so the next start of whoever takes these partitions reads fewer events.
    if ((this.options.snapshotEveryMs ?? 30_000) > 0) await this.writeSnapshots();
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
    const owners = [...this.owners.values()];
    this.owners.clear();
    await Promise.all(owners.map((o) => o.then((x) => x.producer.disconnect()).catch(() => undefined)));
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }
}
