import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, Partitioners, Producer } from 'kafkajs';
import { AggregateType, CommandEnvelope, CommandResult } from './envelope';
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
 * idempotent `acks=all` producer, then await its result from the results topic. Each instance reads the results
 * topic with a group of its own, from the moment it started, and keeps the results addressed to it.
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

  constructor(
    private readonly kafka: Kafka,
    private readonly options: { topicPrefix: string; orgId: string; instanceId: string; timeoutMs: number },
  ) {}

  isReady(): boolean {
    return this.ready;
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
      maxWaitTimeInMs: 20,
    });
    this.consumer = consumer;
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

  async send<C, S = unknown>(request: SendCommand<C>): Promise<CommandResult<S>> {
    const [outcome] = await this.sendBatch<C, S>([request]);
    return outcome!;
  }

  /**
   * Publishes many commands in one produce request (bulk jobs: one round trip for hundreds of commands) and
   * returns one promise per command, settled by its result or its timeout.
   */
  async sendBatch<C, S = unknown>(requests: SendCommand<C>[]): Promise<Promise<CommandResult<S>>[]> {
    if (!this.producer || !this.ready) throw new Error('command bus is not started');
    const envelopes: CommandEnvelope<C>[] = requests.map((request) => {
      const commandId = request.commandId ?? randomUUID();
      return {
        commandId,
        type: request.type,
        aggregateType: request.aggregateType,
        aggregateId: request.aggregateId,
        orgId: this.options.orgId,
        actor: request.actor,
        issuedAt: request.issuedAt ?? new Date().toISOString(),
        correlationId: request.correlationId ?? commandId,
        replyTo: this.options.instanceId,
        ...(request.expectedVersion !== undefined ? { expectedVersion: request.expectedVersion } : {}),
        command: request.command,
      };
    });
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
    const byTopic = new Map<string, CommandEnvelope<C>[]>();
    for (const e of envelopes) {
      const topic = aggregateTopics(this.options.topicPrefix, e.aggregateType).commands;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), e]);
    }
    try {
      await this.producer.sendBatch({
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
    } catch (error) {
      for (const e of envelopes) {
        const waiter = this.pending.get(e.commandId);
        if (waiter) clearTimeout(waiter.timer);
        this.pending.delete(e.commandId);
      }
      throw error;
    }
    return outcomes as Promise<CommandResult<S>>[];
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
