import { Logger } from '@nestjs/common';
import { IHeaders, ITopicConfig, Kafka, Partitioners, Producer } from 'kafkajs';

/** Where a consumer sets aside the records it cannot read, instead of skipping them silently. */
export function deadLetterTopic(prefix: string): string {
  return `${prefix}.dead-letter`;
}

/**
 * Kept as long as the log it guards (forever) and as large a record as any event topic takes (activity events:
 * 32 MB). One partition: dead letters are rare, and one ordered list is what an operator reads.
 */
export function deadLetterTopicSpec(prefix: string, replicationFactor: number): ITopicConfig {
  return {
    topic: deadLetterTopic(prefix),
    numPartitions: 1,
    replicationFactor,
    configEntries: [
      { name: 'retention.ms', value: '-1' },
      { name: 'retention.bytes', value: '-1' },
      { name: 'max.message.bytes', value: String(32 * 1024 * 1024) },
    ],
  };
}

/** The prefix of a `<prefix>.<aggregate>.<kind>` topic name. */
export function topicPrefixOf(topic: string): string {
  const parts = topic.split('.');
  return parts.length > 2 ? parts.slice(0, -2).join('.') : topic;
}

/** Headers a dead letter carries besides the source record's own. */
export const DEAD_LETTER_HEADERS = {
  topic: 'dead-letter-source-topic',
  partition: 'dead-letter-source-partition',
  offset: 'dead-letter-source-offset',
  reason: 'dead-letter-reason',
  group: 'dead-letter-consumer-group',
} as const;

/** A record a consumer could not read, with where it came from. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  key: Buffer | null;
  value: Buffer;
  headers?: IHeaders;
}

/** Why `decodeEvent` refused a record (it says only that it did). */
export function undecodableReason(value: Buffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return `not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const missing = (['aggregateId', 'sequence', 'type'] as const).filter((field) => {
    const v =
      parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[field] : undefined;
    return field === 'sequence' ? typeof v !== 'number' : typeof v !== 'string';
  });
  return `not an event envelope: ${missing.join(', ')} missing or of the wrong type`;
}

/** The record a dead letter is written as: the source bytes, with the source coordinates and reason as headers. */
export function deadLetterRecord(
  letter: DeadLetter,
  groupId: string,
): { key: Buffer | null; value: Buffer; headers: IHeaders } {
  return {
    key: letter.key,
    value: letter.value,
    headers: {
      ...(letter.headers ?? {}),
      [DEAD_LETTER_HEADERS.topic]: letter.topic,
      [DEAD_LETTER_HEADERS.partition]: String(letter.partition),
      [DEAD_LETTER_HEADERS.offset]: letter.offset,
      [DEAD_LETTER_HEADERS.reason]: letter.reason,
      [DEAD_LETTER_HEADERS.group]: groupId,
    },
  };
}

/**
 * Writes dead letters (acks=all, idempotent) and creates the topic on first use if nobody has: replicated like
 * the topic the first letter came from.
 */
export class DeadLetterWriter {
  private readonly logger = new Logger('DeadLetters');
  private producer: Producer | null = null;
  private ready: Promise<Producer> | null = null;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly groupId: string,
  ) {}

  async write(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const producer = await this.connect(letters[0]!.topic);
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((l) => deadLetterRecord(l, this.groupId)),
    });
  }

  private connect(sourceTopic: string): Promise<Producer> {
    this.ready ??= (async () => {
      await this.ensureTopic(sourceTopic);
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  private async ensureTopic(sourceTopic: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(this.topic)) return;
      const { topics } = await admin.fetchTopicMetadata({ topics: [sourceTopic] });
      const replicas = topics[0]?.partitions[0]?.replicas.length ?? 1;
      const spec = { ...deadLetterTopicSpec('', replicas), topic: this.topic };
      try {
        await admin.createTopics({ topics: [spec], waitForLeaders: true });
        this.logger.warn(`created ${this.topic} (replication ${replicas})`);
      } catch (error) {
        // Another process may have created it in between.
        if (!(await admin.listTopics()).includes(this.topic)) throw error;
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.ready = null;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
  }
}
