import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, Partitioners, Producer } from 'kafkajs';
import { currentLogFields } from '@ssync/common';
import { AggregateType, CommandEnvelope, CommandResult } from './envelope';
import { replyPartitionAssigner } from './reply-partition';
import { aggregateTopics, resultsTopic } from './topics';

export class CommandTimeoutError extends Error {
  constructor(
    readonly commandId: string,
    timeoutMs: number,
  ) {
    super(
      `no outcome for command ${commandId} within ${timeoutMs} ms; it may still be applied (retry with the same Idempotency-Key)`,
    );
    this.name = 'CommandTimeoutError';
  }
}

/**
 * A command that could not be handed to the broker (it is away, or the bus is not started): not applied by this
 * request, as far as the caller can tell. Retrying with the same command id is safe either way.
 */
export class CommandBusUnavailableError extends Error {
  constructor(
    readonly commandId: string,
    reason: string,
  ) {
    super(`command ${commandId} could not be sent: ${reason}`);
    this.name = 'CommandBusUnavailableError';
  }
}

export interface SendCommand<C> {
  aggregateType: AggregateType;
  aggregateId: string;
  type: string;
  actor: string;
  command: C;
  commandId?: string;
  correlationId?: string;
  issuedAt?: string;
  expectedVersion?: number;
}

/**
 * The caller's side of command routing (docs/ARCHITECTURE.md): publish a command keyed by its aggregate id with an
 * idempotent `acks=all` producer, then await its result from the results topic. Each instance reads the partition
 * its results land in with a group of its own, from the moment it started, and keeps the results addressed to it.
 */
export class KafkaCommandGateway {
  private readonly logger = new Logger(KafkaCommandGateway.name);
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private readonly pending = new Map<
    string,
    { resolve: (r: CommandResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private ready = false;
  private resultPartitions: number[] = [];
  private readonly outbox: { envelope: CommandEnvelope<unknown>; done: (error?: Error) => void }[] = [];
  private flushing = false;
  private readonly deciders = new Map<
    AggregateType,
    (envelope: CommandEnvelope<unknown>) => Promise<CommandResult | null>
  >();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: { topicPrefix: string; orgId: string; instanceId: string; timeoutMs: number },
  ) {}

  isReady(): boolean {
    return this.ready;
  }

  /** The results-topic partitions this gateway reads (one: where its results land). */
  readsResultPartitions(): number[] {
    return [...this.resultPartitions];
  }

  async start(): Promise<void> {
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    const consumer = this.kafka.consumer({
      groupId: `${this.options.topicPrefix}.results.${this.options.instanceId}`,
      // A fetch returns as soon as a result arrives (minBytes 1): the wait only bounds fetches while idle.
      maxWaitTimeInMs: 500,
      // Only the partition this instance's results land in: others' results do not end its fetches.
      partitionAssigners: [replyPartitionAssigner(this.options.instanceId)],
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.resultPartitions = Object.values(payload.memberAssignment).flat();
    });
    const firstFetch = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.FETCH, () => {
        off();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: resultsTopic(this.options.topicPrefix), fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (message.key?.toString() !== this.options.instanceId || !message.value) continue;
          try {
            const result = JSON.parse(message.value.toString('utf8')) as CommandResult;
            const waiter = this.pending.get(result.commandId);
            if (waiter) {
              this.pending.delete(result.commandId);
              clearTimeout(waiter.timer);
              waiter.resolve(result);
            }
          } catch (error) {
            this.logger.warn(`unreadable command result: ${String(error)}`);
          }
        }
        await Promise.resolve();
      },
    });
    // Until the first fetch the group's start offset is not fixed, and a result could be missed.
    await firstFetch;
    this.ready = true;
  }

  /**
   * Commands of `aggregateType` are offered to `decide` first: a process that owns the aggregate's partition
   * decides them itself (CommandProcessor.decideHere) and resolves null when it does not, and then they go
   * through the commands topic as usual.
   */
  decideHereWith(
    aggregateType: AggregateType,
    decide: (envelope: CommandEnvelope<unknown>) => Promise<CommandResult | null>,
  ): void {
    this.deciders.set(aggregateType, decide);
  }

  async send<C, S = unknown>(request: SendCommand<C>): Promise<CommandResult<S>> {
    const here = this.deciders.get(request.aggregateType);
    const sent = here ? { ...request, commandId: request.commandId ?? randomUUID() } : request;
    if (here) {
      const result = await here(this.envelopeOf(sent));
      if (result) return result as CommandResult<S>;
    }
    const [outcome] = await this.sendBatch<C, S>([sent]);
    return outcome!;
  }

  private envelopeOf<C>(request: SendCommand<C>): CommandEnvelope<C> {
    const commandId = request.commandId ?? randomUUID();
    return {
      commandId,
      type: request.type,
      aggregateType: request.aggregateType,
      aggregateId: request.aggregateId,
      orgId: this.options.orgId,
      actor: request.actor,
      issuedAt: request.issuedAt ?? new Date().toISOString(),
      // The work that sends it (an HTTP request, a poll) names the correlation, else the command does.
      correlationId: request.correlationId ?? currentLogFields().correlationId ?? commandId,
      replyTo: this.options.instanceId,
      ...(request.expectedVersion !== undefined ? { expectedVersion: request.expectedVersion } : {}),
      command: request.command,
    };
  }

  /**
   * Publishes many commands in one produce request (bulk jobs: one round trip for hundreds of commands) and
   * returns one promise per command, settled by its result or its timeout.
   */
  async sendBatch<C, S = unknown>(requests: SendCommand<C>[]): Promise<Promise<CommandResult<S>>[]> {
    if (!this.producer || !this.ready)
      throw new CommandBusUnavailableError(requests[0]?.commandId ?? '?', 'the command bus is not started');
    const envelopes = requests.map((request) => this.envelopeOf(request));
    const outcomes = envelopes.map(
      (envelope) =>
        new Promise<CommandResult>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(envelope.commandId);
            reject(new CommandTimeoutError(envelope.commandId, this.options.timeoutMs));
          }, this.options.timeoutMs);
          this.pending.set(envelope.commandId, { resolve, reject, timer });
        }),
    );
    // The timer may fire while the broker is away and the publish still retries, before anyone awaits the
    // outcome: that rejection is the caller's to handle once it awaits, never an unhandled one that ends the
    // process (issue #11).
    for (const outcome of outcomes) outcome.catch(() => undefined);
    // The producer retries a publish while the broker is away, longer than a caller can wait: past the deadline
    // the caller gets the timeouts (outcome unknown: the publish may still succeed), never a request left hanging.
    let deadline: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      deadline = setTimeout(() => resolve('late'), this.options.timeoutMs);
    });
    const published = this.publish(envelopes);
    published.catch(() => undefined);
    try {
      if ((await Promise.race([published, late])) === 'late') return outcomes as Promise<CommandResult<S>>[];
    } catch (error) {
      for (const e of envelopes) {
        const waiter = this.pending.get(e.commandId);
        if (waiter) clearTimeout(waiter.timer);
        this.pending.delete(e.commandId);
      }
      throw new CommandBusUnavailableError(
        envelopes[0]?.commandId ?? '?',
        error instanceof Error ? error.message : String(error),
      );
    } finally {
      clearTimeout(deadline);
    }
    return outcomes as Promise<CommandResult<S>>[];
  }

  /**
   * Commands from concurrent callers are published together: the idempotent producer has one request in flight,
   * so one produce per HTTP request would cap the API at one command per broker round trip. Order is kept (one
   * flush at a time, FIFO), so commands of one aggregate stay in the order they were sent.
   */
  private publish(envelopes: CommandEnvelope<unknown>[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let left = envelopes.length;
      let failed = false;
      for (const envelope of envelopes) {
        this.outbox.push({
          envelope,
          done: (error) => {
            if (error) {
              if (!failed) reject(error);
              failed = true;
            } else if (--left === 0 && !failed) resolve();
          },
        });
      }
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.outbox.length > 0) {
        // A command whose caller was already told "no outcome in time" is not published after all: the caller
        // retries it with the same id, and a broker that was away does not get a backlog of abandoned commands.
        const taken = this.outbox.splice(0, 500);
        const items: typeof taken = [];
        for (const item of taken)
          if (this.pending.has(item.envelope.commandId)) items.push(item);
          else item.done(new Error('its caller stopped waiting before it could be published'));
        if (items.length === 0) continue;
        const byTopic = new Map<string, CommandEnvelope<unknown>[]>();
        for (const { envelope: e } of items) {
          const topic = aggregateTopics(this.options.topicPrefix, e.aggregateType).commands;
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), e]);
        }
        try {
          await this.producer!.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, list]) => ({
              topic,
              messages: list.map((e) => ({
                key: e.aggregateId,
                value: JSON.stringify(e),
                headers: { type: e.type },
              })),
            })),
          });
          for (const item of items) item.done();
        } catch (error) {
          for (const item of items) item.done(error instanceof Error ? error : new Error(String(error)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Sends a domain command, whose id, actor, time and type travel in it (CommandMeta): the envelope takes them from
   * there, so callers cannot let the two disagree.
   */
  sendCommand<C extends { type: string; commandId: string; actor: string; issuedAt: string }, S = unknown>(
    aggregateType: AggregateType,
    aggregateId: string,
    command: C,
    expectedVersion?: number,
  ): Promise<CommandResult<S>> {
    return this.send<C, S>({
      aggregateType,
      aggregateId,
      type: command.type,
      actor: command.actor,
      command,
      commandId: command.commandId,
      issuedAt: command.issuedAt,
      ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    });
  }

  async stop(): Promise<void> {
    this.ready = false;
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`command bus stopped before the outcome of ${id}`));
    }
    this.pending.clear();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}
