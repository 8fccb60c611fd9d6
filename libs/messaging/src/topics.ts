import { Admin, ITopicConfig } from 'kafkajs';
import { KafkaSaslConfig, KafkaTlsConfig } from '@ssync/common';
import { deadLetterTopicSpec } from './dead-letter';
import { AggregateType } from './envelope';

export interface TopicNames {
  commands: string;
  events: string;
}

export function aggregateTopics(prefix: string, aggregate: AggregateType): TopicNames {
  return { commands: `${prefix}.${aggregate}.commands`, events: `${prefix}.${aggregate}.events` };
}

/**
 * The latest operational state of each aggregate (e.g. a mailbox's EWS cursor and poll claim): a compacted topic
 * keyed by aggregate id, partitioned like the aggregate's events and written by the same owner in the same
 * transactions (docs/adr/0010). Only aggregates with an operational slice have one.
 */
export function operationalTopic(prefix: string, aggregate: AggregateType): string {
  return `${prefix}.${aggregate}.operational`;
}

/**
 * Per-aggregate snapshots (ARCHITECTURE "Snapshots", docs/adr/0011): the latest state, version and duplicate-check
 * ledger of each aggregate, plus one checkpoint per partition saying from which event offset a reader continues.
 * Compacted; a cache of the log, never a second source of truth.
 */
export function snapshotTopic(prefix: string, aggregate: AggregateType): string {
  return `${prefix}.${aggregate}.snapshots`;
}

/** Aggregate types whose owners keep operational state next to their audited events. */
export const OPERATIONAL_AGGREGATES: readonly AggregateType[] = ['mailbox'];

export function resultsTopic(prefix: string): string {
  return `${prefix}.command-results`;
}

/**
 * Topics every role relies on. Command and event topics of one aggregate have the same partition count, so an
 * aggregate's commands and events share a partition number and one owner.
 */
export function topicSpecs(prefix: string, partitions: number, replicationFactor: number): ITopicConfig[] {
  const aggregates: AggregateType[] = ['profile', 'organization', 'mailbox', 'activity', 'job', 'alert'];
  const specs: ITopicConfig[] = [];
  for (const aggregate of aggregates) {
    const t = aggregateTopics(prefix, aggregate);
    // A bulk job's start names up to 10,000 mailbox ids (~400 KB): job records may exceed the 1 MB default. An
    // email activity holds a body of up to 1,048,576 characters (~4 MB of UTF-8, ACTIVITY_LIMITS).
    const maxBytes = aggregate === 'job' ? 16 : aggregate === 'activity' ? 32 : 0;
    const large = maxBytes > 0 ? [{ name: 'max.message.bytes', value: String(maxBytes * 1024 * 1024) }] : [];
    specs.push({
      topic: t.commands,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(7 * 24 * 3600 * 1000) }, ...large],
    });
    specs.push({
      topic: snapshotTopic(prefix, aggregate),
      numPartitions: partitions,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: String(3600 * 1000) },
        { name: 'segment.bytes', value: String(64 * 1024 * 1024) },
        { name: 'min.cleanable.dirty.ratio', value: '0.25' },
        ...large,
      ],
    });
    // The event log is the source of truth: kept forever.
    specs.push({
      topic: t.events,
      numPartitions: partitions,
      replicationFactor,
      configEntries: [
        { name: 'retention.ms', value: '-1' },
        { name: 'retention.bytes', value: '-1' },
        ...large,
      ],
    });
  }
  for (const aggregate of OPERATIONAL_AGGREGATES) {
    // Latest value per key: compaction keeps one record per aggregate, so reading it back costs what is live, not
    // how long it has run. Small segments roll (and become compactable) within the hour.
    specs.push({
      topic: operationalTopic(prefix, aggregate),
      numPartitions: partitions,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: String(3600 * 1000) },
        { name: 'segment.bytes', value: String(64 * 1024 * 1024) },
        { name: 'min.cleanable.dirty.ratio', value: '0.25' },
        { name: 'delete.retention.ms', value: String(24 * 3600 * 1000) },
      ],
    });
  }
  specs.push(deadLetterTopicSpec(prefix, replicationFactor));
  specs.push({
    topic: resultsTopic(prefix),
    numPartitions: partitions,
    replicationFactor,
    configEntries: [{ name: 'retention.ms', value: String(3600 * 1000) }],
  });
  return specs;
}

/** Creates missing topics; existing ones are left as they are. Safe to call from every process at boot. */
export async function ensureTopics(admin: Admin, specs: ITopicConfig[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (error) {
    // Another process may have created them in between.
    const now = new Set(await admin.listTopics());
    if (missing.some((s) => !now.has(s.topic))) throw error;
  }
}

/** The settings `connectKafka` needs (a subset of every role's validated configuration). */
export interface KafkaSettings {
  kafka: {
    brokers: string[];
    clientId: string;
    topicPrefix: string;
    partitions: number;
    replicationFactor: number;
    /** Absent or null: plaintext, no authentication (the local development broker). */
    tls?: KafkaTlsConfig | null;
    sasl?: KafkaSaslConfig | null;
  };
}
