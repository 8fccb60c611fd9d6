import { Logger } from '@nestjs/common';
import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { KafkaSettings, ensureTopics, topicSpecs } from './topics';

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
    if (/concurrent operation on the same transaction/.test(text)) toNest.debug(text);
    // A partition whose leader is not known yet (topics created a moment ago, a leader moving): retried by the
    // client and by the callers that read offsets at start.
    else if (/not the leader for that topic-partition/.test(text)) toNest.warn(text);
    else if (level === logLevel.ERROR) toNest.error(text);
    else if (level === logLevel.WARN) toNest.warn(text);
    else toNest.debug(text);
  };
}

export function createKafka(options: { brokers: string[]; clientId: string; debug?: boolean }): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.debug ? logLevel.INFO : logLevel.WARN,
    logCreator,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8 },
  });
}

/** A client for a role, with every topic the roles rely on created first (idempotent; any process may do it). */
export async function connectKafka(config: KafkaSettings): Promise<Kafka> {
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId });
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
