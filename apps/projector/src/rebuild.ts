import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { Connection } from 'mongoose';
import { CoreConfig } from '@ssync/common';
import { EventConsumer } from '@ssync/messaging';
import {
  ProjectionPointer,
  ReadModels,
  deferMailboxWrites,
  ensurePointer,
  flushMailboxes,
  newGroupId,
  project,
  projectionProfile,
  switchPointer,
} from '@ssync/read-models';
import { eventTopics } from './projector.service';

export interface RebuildReport {
  fromVersion: number;
  toVersion: number;
  before: { checksum: string; documents: number };
  after: { checksum: string; documents: number };
  events: number;
  seconds: number;
  /** The replay alone (from the consumer's start to the last event projected), and the time per projection stage. */
  replaySeconds: number;
  stages: Record<string, { ms: number; calls: number }>;
  match: boolean;
}

/** Kafka end offsets of every event topic, the point a replay must reach. */
async function endOffsets(kafka: Kafka, topics: string[]): Promise<Map<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}:${p.partition}`, BigInt(p.high));
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Rebuild (SPEC A-2): replay the whole log into a fresh version of every read model, switch the query side to it
 * once it has caught up, drop the old version, and compare checksums. Live projectors follow the switch.
 */
export async function rebuildReadModels(
  kafka: Kafka,
  conn: Connection,
  config: CoreConfig,
  logger = new Logger('Rebuild'),
): Promise<RebuildReport> {
  const started = Date.now();
  const readModels = new ReadModels(conn);
  const current = await ensurePointer(conn, config.kafka.topicPrefix);
  const before = await readModels.checksum(current.version);
  const toVersion = current.version + 1;
  await readModels.drop(toVersion);
  await readModels.ensureIndexes(toVersion);
  const next: ProjectionPointer = {
    _id: 'main',
    version: toVersion,
    groupId: newGroupId(config.kafka.topicPrefix, toVersion),
    switchedAt: '',
  };
  const topics = eventTopics(config.kafka.topicPrefix);
  const targets = await endOffsets(kafka, topics);
  const reached = new Map<string, bigint>();
  let events = 0;
  const models = readModels.at(toVersion);
  // No one reads this version before the switch: each mailbox document is written once, after the replay.
  deferMailboxWrites(models);
  const consumer = new EventConsumer(kafka, {
    groupId: next.groupId,
    topics,
    fromBeginning: true,
    partitionsConsumedConcurrently: 8,
    chunkSize: 2000,
    maxBytesPerPartition: 4 * 1024 * 1024,
    handle: async (batch, { partition }) => {
      await project(models, batch, partition);
      events += batch.length;
    },
    onProgress: (topic, partition, lastOffset) => reached.set(`${topic}:${partition}`, lastOffset),
  });
  const profileBefore = projectionProfile();
  const replayStarted = Date.now();
  await consumer.start();
  const caughtUp = () =>
    [...targets].every(([key, high]) => high === 0n || (reached.get(key) ?? -1n) >= high - 1n);
  while (!caughtUp()) await new Promise((r) => setTimeout(r, 100));
  await consumer.stop();
  await flushMailboxes(models);
  const replaySeconds = (Date.now() - replayStarted) / 1000;
  const stages = Object.fromEntries(
    Object.entries(projectionProfile()).map(([stage, v]) => [
      stage,
      { ms: v.ms - (profileBefore[stage]?.ms ?? 0), calls: v.calls - (profileBefore[stage]?.calls ?? 0) },
    ]),
  );
  next.switchedAt = new Date().toISOString();
  if (!(await switchPointer(conn, current.version, next)))
    throw new Error('another rebuild switched the read models first');
  logger.log(`read models switched from version ${current.version} to ${toVersion}`);
  const after = await readModels.checksum(toVersion);
  await readModels.drop(current.version);
  return {
    fromVersion: current.version,
    toVersion,
    before,
    after,
    events,
    seconds: (Date.now() - started) / 1000,
    replaySeconds,
    stages,
    match: before.checksum === after.checksum,
  };
}
