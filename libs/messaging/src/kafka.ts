import { Logger } from '@nestjs/common';
import { ConnectionOptions } from 'node:tls';
import { Consumer, ConsumerConfig, Kafka, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { KafkaSaslConfig, KafkaTlsConfig } from '@ssync/common';
import { cacheTransactionCoordinators } from './coordinator-cache';
import { stopIdleRequestQueueLoop } from './request-queue-patch';
import { KafkaSettings, ensureTopics, topicSpecs } from './topics';

/**
 * How a reader that can wait follows its topics: a fetch returns what is there (minBytes 1), and the reader asks again
 * no sooner than its pace ({@link FOLLOWER_PACE_MS} unless told) after its last fetch began ({@link FetchPacer}).
 * Under load every transaction commit (one per few polls) would otherwise end each reader's fetch at once, and those
 * fetches cost the broker and the readers more CPU than the records do (issue #12). A fetch that waits in the broker
 * for bytes instead (minBytes 1 MiB) is re-checked at every write to its partitions: 16–21 % of the broker's CPU at
 * 10,000 mailboxes (docs/adr/0015, addendum 3). Such a reader sees a write at most about one pace later.
 */
const FOLLOWER_FETCH = { minBytes: 1, maxWaitTimeInMs: 500 } as const;
/** The default pace of readers that can wait (`SSYNC_FOLLOWER_PACE_MS`; docs/adr/0015, addendum 5). */
export const FOLLOWER_PACE_MS = 1000;

/**
 * A consumer that follows in batches: {@link FOLLOWER_FETCH} and its pacer, which only work together (alone,
 * `minBytes` 1 would fetch at every commit). Call `pacer.settle` at the end of each batch.
 */
export function followerConsumer(
  kafka: Kafka,
  config: Omit<ConsumerConfig, 'minBytes' | 'maxWaitTimeInMs'>,
  paceMs: number = FOLLOWER_PACE_MS,
): { consumer: Consumer; pacer: FetchPacer } {
  const consumer = kafka.consumer({ ...config, ...FOLLOWER_FETCH });
  return { consumer, pacer: new FetchPacer(consumer, paceMs) };
}

/**
 * Paces a consumer's fetches from the client: kafkajs fetches again only once every batch of the last fetch is
 * handled, so a batch that ends no sooner than `paceMs` after its fetch began spaces the fetches out.
 */
export class FetchPacer {
  private lastStart = 0;
  /** Batches waiting out the pace: a consumer may handle several partitions' batches at once. */
  private readonly waiting = new Set<() => void>();

  constructor(
    consumer: Consumer,
    private readonly paceMs: number = FOLLOWER_PACE_MS,
  ) {
    consumer.on(consumer.events.FETCH_START, () => {
      this.lastStart = Date.now();
    });
  }

  /**
   * Called at the end of each batch, after its records are handled. A reader still catching up with the log as it
   * was at start does not wait (a batch's own lag says little: a read-committed fetch stops at open transactions).
   */
  async settle(caughtUp: boolean): Promise<void> {
    if (!caughtUp) return;
    const wait = this.lastStart + this.paceMs - Date.now();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.waiting.add(done);
    });
  }

  /** Ends every wait: someone waits for what the next fetch brings (a partition being taken over). */
  hurry(): void {
    for (const done of [...this.waiting]) done();
  }
}

/**
 * How a reader that must see a write at once follows its topics: a fetch ends with the first record (minBytes 1),
 * so the wait only bounds a fetch on a quiet topic. Each such fetch costs the broker and the reader a round trip
 * over every partition it reads: at 100 ms the quiet stores of one API and two workers made ~120 of them a second
 * (issue #12).
 */
export const IMMEDIATE_FETCH = { minBytes: 1, maxWaitTimeInMs: 500 } as const;

const toNest = new Logger('kafkajs');

/**
 * kafkajs notices that say nothing about this deployment: the partitioner change of v2 (every producer here names
 * its partitioner or partition) and the retry warning for idempotent producers (sends are bounded by the command
 * timeout; the transactional writers are re-created on any failure).
 */
const IGNORED = [
  /^KafkaJS v2\.0\.0 switched default partitioner/,
  /^Limiting retries for the idempotent producer/,
];

/** Broker states kafkajs retries by itself (issue #11): a warning naming the state, not an ERROR per retry. */
const TRANSIENT_STATES: { state: string; re: RegExp }[] = [
  {
    state: 'broker unreachable',
    re: /Connection error|ECONNREFUSED|ECONNRESET|Failed to connect to seed broker|KafkaJSConnectionError|Connection timeout|socket hang up|Closed connection|KafkaJSNumberOfRetriesExceeded/,
  },
  {
    state: 'leader election',
    re: /not the leader for that topic-partition|no leader for this topic-partition|LEADER_NOT_AVAILABLE/,
  },
  {
    // A new topic's partitions until the broker loads them (topic creation at start).
    state: 'topic not hosted yet',
    re: /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/,
  },
  {
    // kafkajs' own recovery of a consumer that crashed on one of the states above.
    state: 'consumer restarting',
    re: /^Restarting the consumer in \d+ms/,
  },
  {
    state: 'group coordinator moving',
    re: /coordinator is not available|not the correct coordinator|group is rebalancing|COORDINATOR_(NOT_AVAILABLE|LOAD_IN_PROGRESS)/,
  },
];

/**
 * What reaches the log of a kafkajs line: a transient state is one warning per state and window (with how many
 * like it were held back), everything else as it came.
 */
export class KafkaLogQuieter {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly windowMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  decide(
    level: 'error' | 'warn' | 'debug',
    text: string,
  ): { level: 'error' | 'warn' | 'debug'; text: string } | null {
    const transient = TRANSIENT_STATES.find((t) => t.re.test(text));
    if (!transient) return { level, text };
    const now = this.now();
    const seen = this.last.get(transient.state);
    if (seen && now - seen.at < this.windowMs) {
      seen.held += 1;
      return null;
    }
    this.last.set(transient.state, { at: now, held: 0 });
    const held = seen?.held ? `; ${seen.held} more like it held back` : '';
    return { level: 'warn', text: `${transient.state} (the client retries${held}): ${text}` };
  }
}

const quieter = new KafkaLogQuieter();

/** kafkajs logs through Nest's logger, at warn and above unless asked otherwise. */
function logCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, broker, groupId, error } = log as {
      message: string;
      broker?: unknown;
      groupId?: unknown;
      error?: unknown;
    };
    if (IGNORED.some((re) => re.test(message))) return;
    const text = `${message} ${JSON.stringify({ broker, groupId, error })}`;
    // Retried by the client; an ERROR line per retry would drown real errors.
    if (/concurrent operation on the same transaction/.test(text)) return toNest.debug(text);
    const line = quieter.decide(
      level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug',
      text,
    );
    if (line?.level === 'error') toNest.error(line.text);
    else if (line?.level === 'warn') toNest.warn(line.text);
    else if (line) toNest.debug(line.text);
  };
}

/** What a client needs to reach the brokers: where they are and, from the role's config, TLS and SASL. */
export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  tls?: KafkaTlsConfig | null;
  sasl?: KafkaSaslConfig | null;
  debug?: boolean;
  /** Tests and probes that expect failures: no kafkajs lines at all. */
  silent?: boolean;
  /** Retries of a failed request or connection (default 8, about half a minute in all). */
  retries?: number;
}

/** kafkajs' `ssl` option from the validated config; undefined: plaintext. */
export function kafkaTlsOptions(tls: KafkaTlsConfig | null | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined;
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca !== null && { ca: tls.ca }),
    ...(tls.cert !== null && { cert: tls.cert }),
    ...(tls.key !== null && { key: tls.key.reveal() }),
    ...(tls.servername !== null && { servername: tls.servername }),
  };
}

export function kafkaSaslOptions(sasl: KafkaSaslConfig | null | undefined): SASLOptions | undefined {
  if (!sasl) return undefined;
  const credentials = { username: sasl.username, password: sasl.password.reveal() };
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', ...credentials };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', ...credentials };
  }
}

/** The one place a kafkajs client is made, so every role, CLI and test reaches the brokers the same way. */
export function createKafka(options: KafkaClientOptions): Kafka {
  cacheTransactionCoordinators();
  stopIdleRequestQueueLoop();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: kafkaTlsOptions(options.tls),
    sasl: kafkaSaslOptions(options.sasl),
    logLevel: options.silent ? logLevel.NOTHING : options.debug ? logLevel.INFO : logLevel.WARN,
    logCreator,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: options.retries ?? 8 },
  });
}

/** A client for a role, with every topic the roles rely on created first (idempotent; any process may do it). */
export async function connectKafka(config: KafkaSettings): Promise<Kafka> {
  const kafka = createKafka(config.kafka);
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
}
