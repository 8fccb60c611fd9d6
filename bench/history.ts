/**
 * `npm run bench:history`: what a long history costs the processes that read it (issue #9, ARCHITECTURE
 * invariant 7). For each BENCH_MAILBOXES (10,000) and each BENCH_DAYS (1,10) it makes a history ending now, in a
 * topic prefix and database of its own (what the apps do while measured never leaks into the next history), then
 * measures it, and deletes both unless BENCH_KEEP=1.
 *
 * The history is made with the real deciders, written straight into the topics the way the partition owners
 * write them: every command goes through `decideCommand` (libs/messaging, what the command processor runs) with
 * the owners' definitions (mailbox with the owner's facts and operational slice, activity, profile, organization,
 * job), and the audited events it returns are produced, keyed by aggregate id, to the partition the command
 * gateway would have routed the command to (kafkajs' default partitioner), with an idempotent `acks=all` producer
 * — outside transactions, so the log has no commit markers. No command, result or consumer offset is written.
 *
 * What happens in it: a profile (credentials in the profile, password sealed with the dev key, minimum polling
 * interval 1 minute, EWS at a closed port), the organization settings, BENCH_MAILBOXES mailboxes provisioned one by
 * one, approved and Test & Enabled by bulk jobs (per-mailbox commands and job items as the job runner sends them),
 * test results recorded as Success, a first poll. Then per day and mailbox: a poll as often as the profile allows
 * (a claim, the mail that arrived, the outcome; next poll at the 1-minute interval, the 1 s claim slack included,
 * without idle back-off or jitter: ~1,416 polls a day), BENCH_EMAILS_PER_DAY (50) tracked emails with
 * BENCH_BODY_BYTES (4096) bodies, BENCH_SENDS_PER_DAY (2) outgoing emails (queued, claimed, sent), and for a
 * BENCH_FAILURE_SHARE (1 %) of the mailboxes a day an outage (two failed polls, then a recovery). A
 * BENCH_IDLE_SHARE (10 %) of the mailboxes is idle throughout: polled, no email, no sends, no failures.
 * Every poll is decided — with BENCH_POLL_SAMPLE below 1, only for that share of the idle and of the active
 * mailboxes; the others skip their quiet polls (no mail, outage or recovery), which add no audited event either
 * way, so the audited logs come out the same, at a fraction of the time. Each decision that changed the
 * operational slice made a record, but only the last record of each mailbox is written to the compacted
 * operational topic (what compaction keeps of a history). Likewise the owners' snapshots (docs/adr/0011, unless
 * BENCH_SNAPSHOTS=0): each activity's once it is finished (a tracked message as a settled entry in its
 * partition's chunks, docs/adr/0012), every other aggregate's latest at the end, then a checkpoint per partition at
 * the end of its events — so a starting process restores them and reads no events;
 * BENCH_SNAPSHOTS=0 measures a start that replays the whole log (no snapshots, or their topic was deleted).
 *
 * Measured per history: the events in the audited logs; audited mailbox events per idle mailbox per hour (from the
 * decisions, over the days after set-up); cold start — spawn to the first 200 of /health/ready and RSS right
 * after — of the API, of a sync worker (ticking every 60 s, one mailbox at a time, so it barely polls while
 * measured) and of the projector, one at a time: the projector's first start projects the whole log into the
 * empty database, its restart is the cold start; then (for histories of at most BENCH_REBUILD_MAX_DAYS days)
 * `projector rebuild` next to the raw consume rate of the same topics (kafkajs, fresh group, JSON.parse each
 * record) in the same run, and what the MongoDB-compatible server alone takes to insert the documents of the views
 * that rebuild made (the replay's ceiling on this server); finally the ratios of the longest history to the
 * shortest.
 *
 * Time limits: BENCH_READY_TIMEOUT_S (600) per start, BENCH_PROJECT_TIMEOUT_S (1800) for the projector's first
 * start, BENCH_REBUILD_TIMEOUT_S (900) for a rebuild (one that times out is reported with the records its group
 * committed). BENCH_SEED (1) fixes the plan of arrivals, sends and outages. App logs: .ssync/logs/bench-history.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Admin, Kafka, Message, PartitionMetadata, Partitioners, Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import {
  ActivityCommand,
  ActivityState,
  AreaTestResult,
  JobCommand,
  Mailbox,
  MailboxArea,
  MailboxCommand,
  MailboxEvent,
  MailboxState,
  OrganizationCommand,
  ProfileCommand,
  incomingEmailActivityId,
  mailboxDecider,
  mailboxOperational,
  mailboxProfileFacts,
  organizationEmailSettingsOf,
  retainedActivityState,
  settledActivity,
  shouldPoll,
  syncOf,
} from '@ssync/domain';
import {
  AggregateDefinition,
  AggregateSnapshot,
  AggregateType,
  CommandDecision,
  EventEnvelope,
  SETTLED_CHUNK_ENTRIES,
  SNAPSHOT_CHECKPOINT_KEY,
  SettledTable,
  SnapshotRecord,
  aggregateTopics,
  decideCommand,
  encodeSnapshot,
  ensureTopics,
  operationalTopic,
  settledChunkKey,
  settledCode,
  settledDigest,
  snapshotTopic,
  topicSpecs,
  createKafka,
} from '@ssync/messaging';
import { loadKafkaSecurity } from '@ssync/common';
import { SecretBox, loadKeyring } from '@ssync/security';
import {
  domainFailure,
  jobAggregate,
  organizationAggregate,
  profileAggregate,
} from '../apps/api/src/infrastructure/aggregate-owner.service';
import { jobItemCommandId } from '../apps/api/src/jobs/job-runner.service';
import { eventTopics } from '../apps/projector/src/projector.service';
import { activityAggregate } from '../apps/sync-worker/src/activity-owner';
import { withOwnerFacts } from '../apps/sync-worker/src/mailbox-owner';
import { stableId } from '../apps/sync-worker/src/runtime/ids';
import {
  DEFAULT_POLL_SCHEDULE,
  nextPollDelayMs,
  pollFailureDelayMs,
} from '../apps/sync-worker/src/runtime/schedule';
import { repoRoot } from '../scripts/lib/infra';
import { benchEnv, databaseLabel, freePort, memoryMiB, startAppLogged, stopProcess } from './lib';

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);
const SIZES = list(process.env.BENCH_MAILBOXES ?? '10000');
const DAYS = [...new Set(list(process.env.BENCH_DAYS ?? '1,10'))].sort((a, b) => a - b);
const EMAILS_PER_DAY = Number(process.env.BENCH_EMAILS_PER_DAY ?? 50);
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 4096);
const SENDS_PER_DAY = Number(process.env.BENCH_SENDS_PER_DAY ?? 2);
const FAILURE_SHARE = Number(process.env.BENCH_FAILURE_SHARE ?? 0.01);
const IDLE_SHARE = Number(process.env.BENCH_IDLE_SHARE ?? 0.1);
const POLL_SAMPLE = Number(process.env.BENCH_POLL_SAMPLE ?? 1);
const SNAPSHOTS = process.env.BENCH_SNAPSHOTS !== '0';
const REBUILD_MAX_DAYS = Number(process.env.BENCH_REBUILD_MAX_DAYS ?? 1);
const REBUILD_TIMEOUT_S = Number(process.env.BENCH_REBUILD_TIMEOUT_S ?? 900);
const PROJECT_TIMEOUT_S = Number(process.env.BENCH_PROJECT_TIMEOUT_S ?? 1800);
const READY_TIMEOUT_S = Number(process.env.BENCH_READY_TIMEOUT_S ?? 600);
const KEEP = process.env.BENCH_KEEP === '1';
const SEED = Number(process.env.BENCH_SEED ?? 1);
const PARTITIONS = Number(process.env.SSYNC_PARTITIONS ?? 12);
const ORG_ID = process.env.SSYNC_ORG_ID ?? 'default';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/**
 * The profile's minimum polling interval, and the claim slack the histories are made with (SSYNC_POLL_CLAIM_SLACK_MS
 * was 1 s when this bench was written; the worker's outcome now narrows the period to the interval).
 */
const INTERVAL_MINUTES = 1;
const CLAIM_SLACK_MS = 1000;
const ADMIN = 'admin@bench.test';
const WORKER = 'sync-worker:bench-history';
const CLAIMANT = `${WORKER}#0b5e7a11`;
const EWS = 'http://127.0.0.1:9/EWS/Exchange.asmx';
const FAILURE_REASON = 'connection-failed: connect ECONNREFUSED 10.20.30.40:443';
/** Per produce request of one topic; a mailbox-topic record batch must stay under the broker's 1 MB default. */
const FLUSH_BYTES = { small: 2 * 1024 * 1024, large: 8 * 1024 * 1024 };

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) =>
  process.stderr.write(`[bench:history ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString();
const fmt = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);

/** mulberry32: the same plan (arrival times, outages) for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptySnapshot<S>(definition: { initialState(): S }): AggregateSnapshot<S> {
  return { state: definition.initialState(), version: 0, commands: '', opVersion: -1, sliceVersion: 0 };
}

function mailboxOf(state: MailboxState): Mailbox {
  if (state.status === 'None') throw new Error('the mailbox does not exist');
  return state.mailbox;
}

/** Buffers records per topic and produces them in large requests, to the partition the gateway would pick. */
class LogWriter {
  private readonly buffers = new Map<string, { messages: Message[]; bytes: number }>();
  private readonly partitionCache = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly metadata: PartitionMetadata[];
  /** Bytes produced, and bytes added (produced or still buffered). */
  bytes = 0;
  added = 0;

  constructor(
    private readonly producer: Producer,
    partitions: number,
  ) {
    this.metadata = Array.from({ length: partitions }, (_, i) => ({
      partitionErrorCode: 0,
      partitionId: i,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
  }

  /** kafkajs' default partitioner (murmur2 of the key), as the command gateway uses it for commands. */
  partitionOf(key: string, cache = false): number {
    const known = this.partitionCache.get(key);
    if (known !== undefined) return known;
    const p = this.partitioner({
      topic: '',
      partitionMetadata: this.metadata,
      message: { key, value: null },
    });
    if (cache) this.partitionCache.set(key, p);
    return p;
  }

  add(topic: string, key: string, value: string, partition: number, headers?: Record<string, string>): void {
    let buffer = this.buffers.get(topic);
    if (!buffer) this.buffers.set(topic, (buffer = { messages: [], bytes: 0 }));
    buffer.messages.push({ key, value, partition, ...(headers ? { headers } : {}) });
    buffer.bytes += value.length + key.length;
    this.added += value.length + key.length;
  }

  async maybeFlush(): Promise<void> {
    for (const [topic, buffer] of this.buffers) {
      const limit = /\.(activity|job)\.\w+$/.test(topic) ? FLUSH_BYTES.large : FLUSH_BYTES.small;
      if (buffer.bytes >= limit) await this.flushTopic(topic);
    }
  }

  async flush(): Promise<void> {
    for (const topic of [...this.buffers.keys()]) await this.flushTopic(topic);
  }

  private async flushTopic(topic: string): Promise<void> {
    const buffer = this.buffers.get(topic);
    if (!buffer || buffer.messages.length === 0) return;
    this.buffers.delete(topic);
    await this.producer.send({ topic, acks: -1, messages: buffer.messages });
    this.bytes += buffer.bytes;
  }
}

interface MailboxSim {
  id: string;
  index: number;
  email: string;
  owner: string;
  idle: boolean;
  /** Every poll decided (else quiet polls are skipped: BENCH_POLL_SAMPLE). */
  everyPoll: boolean;
  snap: AggregateSnapshot<MailboxState>;
  partition: number;
  nextPollAt: number;
  /** Arrival times of mail not yet picked up by a poll, ascending. */
  arrivals: number[];
  sends: number[];
  failAt: number | null;
  failuresLeft: number;
  lastOp: EventEnvelope | null;
  /** When its first and its last audited event occurred (the mailbox owner's store keeps them). */
  createdAt?: string;
  updatedAt?: string;
  cursor: string;
}

interface HistoryStats {
  decisions: number;
  audited: Record<AggregateType, number>;
  /** Operational records the decisions made, and the ones written (the last per mailbox). */
  operationalDecided: number;
  operationalWritten: number;
  /** Snapshot records written (aggregates and checkpoints), when BENCH_SNAPSHOTS is on. */
  snapshots: number;
  polls: number;
  quietPollsSkipped: number;
  tracked: number;
  sends: number;
  outages: number;
  /** Over the days after set-up. */
  idlePolls: number;
  idleAudited: number;
  mailboxAuditedInDays: number;
}

type Command = { type: string; commandId: string; actor: string; issuedAt: string };

/** The history of one organization, decided command by command and written as the owners write it. */
class History {
  readonly stats: HistoryStats = {
    decisions: 0,
    audited: { profile: 0, organization: 0, mailbox: 0, activity: 0, job: 0, alert: 0 },
    operationalDecided: 0,
    operationalWritten: 0,
    snapshots: 0,
    polls: 0,
    quietPollsSkipped: 0,
    tracked: 0,
    sends: 0,
    outages: 0,
    idlePolls: 0,
    idleAudited: 0,
    mailboxAuditedInDays: 0,
  };
  private profile = emptySnapshot(profileAggregate);
  private organization = emptySnapshot(organizationAggregate);
  private profileId = '';
  private readonly mailboxes: MailboxSim[] = [];
  private readonly jobs = new Map<string, AggregateSnapshot<unknown>>();
  /** Tracked messages as their owners keep them: settled entries per activity partition. */
  private readonly settledActivities = new Map<number, SettledTable>();
  private readonly random = prng(SEED);
  private readonly mailboxDefinition: AggregateDefinition<MailboxCommand, MailboxEvent, MailboxState>;
  private readonly filler: string;
  /** Whether the current decisions fall in the days after set-up (counted per idle mailbox and hour). */
  private inDays = false;

  constructor(
    private readonly prefix: string,
    private readonly writer: LogWriter,
    private readonly secrets: SecretBox,
    private readonly admin: Admin,
  ) {
    // The mailbox owner's definition (apps/sync-worker/src/mailbox-owner.ts), with facts from this history.
    this.mailboxDefinition = {
      aggregateType: 'mailbox',
      initialState: mailboxDecider.initialState,
      evolve: mailboxDecider.evolve,
      decide: (command, state) =>
        mailboxDecider.decide(
          withOwnerFacts(command, state, {
            profile: () => mailboxProfileFacts(this.profile.state),
            approvalRequired: (kind) => {
              const s = organizationEmailSettingsOf(this.organization.state);
              return kind === 'User'
                ? s.processEmailsOnlyForApprovedUsers
                : s.processEmailsOnlyForApprovedQueues;
            },
          }),
          state,
        ),
      toFailure: domainFailure,
      operational: mailboxOperational,
    };
    const words = 'Please find the figures for the quarter attached; let me know before Friday. ';
    this.filler = words.repeat(Math.ceil(BODY_BYTES / words.length) + 1);
  }

  /** One command through the owner's decision; its audited events go to the aggregate's partition. */
  private decide<C extends Command, E extends { type: string; data: unknown }, S>(
    definition: AggregateDefinition<C, E, S>,
    snapshot: AggregateSnapshot<S>,
    aggregateId: string,
    command: C,
    correlationId?: string,
  ): CommandDecision<S> {
    const decision = decideCommand(
      definition,
      snapshot,
      {
        commandId: command.commandId,
        type: command.type,
        aggregateType: definition.aggregateType,
        aggregateId,
        orgId: ORG_ID,
        actor: command.actor,
        issuedAt: command.issuedAt,
        correlationId: correlationId ?? command.commandId,
        replyTo: 'bench-history',
        command,
      },
      ORG_ID,
      (error) => {
        throw error;
      },
    );
    if (!decision.result.accepted)
      throw new Error(
        `${command.type} on ${definition.aggregateType} ${aggregateId} refused: ${decision.result.error?.message ?? '?'}`,
      );
    this.stats.decisions += 1;
    if (decision.operational) this.stats.operationalDecided += 1;
    if (decision.events.length > 0) {
      const topic = aggregateTopics(this.prefix, definition.aggregateType).events;
      const partition = this.writer.partitionOf(aggregateId, definition.aggregateType === 'mailbox');
      for (const e of decision.events)
        this.writer.add(topic, e.aggregateId, JSON.stringify(e), partition, { type: e.type });
      this.stats.audited[definition.aggregateType] += decision.events.length;
    }
    return decision;
  }

  private decideMailbox(mb: MailboxSim, command: MailboxCommand, correlationId?: string): number {
    const d = this.decide(this.mailboxDefinition, mb.snap, mb.id, command, correlationId);
    mb.snap = d.snapshot;
    if (d.operational) mb.lastOp = d.operational;
    if (d.events.length > 0) {
      mb.createdAt ??= d.events[0]!.occurredAt;
      mb.updatedAt = d.events[d.events.length - 1]!.occurredAt;
    }
    if (this.inDays) {
      this.stats.mailboxAuditedInDays += d.events.length;
      if (mb.idle && mb.everyPoll) this.stats.idleAudited += d.events.length;
    }
    return d.result.events.length;
  }

  /** Set-up, then days 1…`days`; the history ends about now. */
  async make(size: number, days: number): Promise<void> {
    const setupSpan = 2 * HOUR + Math.ceil(size / 1000) * 10 * MINUTE;
    const t0 = Math.floor(Date.now() / 1000) * 1000 - days * DAY - setupSpan;
    const day1 = t0 + setupSpan;
    await this.setup(size, t0, day1);
    this.inDays = true;
    for (let d = 0; d < days; d++) {
      await this.day(day1 + d * DAY);
      note(
        `${this.prefix}: day ${d + 1}/${days} decided (${this.stats.decisions} commands, ${(this.writer.added / 2 ** 20).toFixed(0)} MiB so far)`,
      );
    }
    // What compaction keeps of the operational topic: the last record of each mailbox.
    const topic = operationalTopic(this.prefix, 'mailbox');
    for (const mb of this.mailboxes) {
      if (!mb.lastOp) continue;
      this.writer.add(topic, mb.id, JSON.stringify(mb.lastOp), mb.partition);
      this.stats.operationalWritten += 1;
      await this.writer.maybeFlush();
    }
    if (SNAPSHOTS) await this.writeSnapshots();
    await this.writer.flush();
  }

  /**
   * A snapshot record as a partition owner writes it (docs/adr/0011): the state its store holds, version, ledger
   * and slice versions (and the mailbox owner's stamps).
   */
  private snapshot<S>(
    aggregate: AggregateType,
    aggregateId: string,
    snap: AggregateSnapshot<S>,
    extra: { createdAt?: string; updatedAt?: string } = {},
  ): void {
    const partition = this.writer.partitionOf(aggregateId, aggregate === 'mailbox');
    const record: SnapshotRecord<S> = { kind: 'aggregate', aggregateId, partition, ...snap, ...extra };
    this.writer.add(snapshotTopic(this.prefix, aggregate), aggregateId, encodeSnapshot(record), partition);
    this.stats.snapshots += 1;
  }

  /**
   * What compaction keeps of the owners' checkpoints: the last snapshot of each aggregate (activities were written
   * as each was finished), then one checkpoint per partition at the end of its events.
   */
  private async writeSnapshots(): Promise<void> {
    this.snapshot('profile', this.profileId, this.profile);
    this.snapshot('organization', ORG_ID, this.organization);
    for (const [jobId, snap] of this.jobs) this.snapshot('job', jobId, snap);
    for (const mb of this.mailboxes) {
      this.snapshot('mailbox', mb.id, mb.snap, {
        ...(mb.createdAt ? { createdAt: mb.createdAt } : {}),
        ...(mb.updatedAt ? { updatedAt: mb.updatedAt } : {}),
      });
      await this.writer.maybeFlush();
    }
    // The settled activities, in chunks as their owners write them.
    const activities = snapshotTopic(this.prefix, 'activity');
    for (const [partition, table] of this.settledActivities)
      for (let chunk = 0; chunk * SETTLED_CHUNK_ENTRIES < table.size; chunk += 1) {
        const from = chunk * SETTLED_CHUNK_ENTRIES;
        const entries = table
          .encode(from, Math.min(table.size, from + SETTLED_CHUNK_ENTRIES))
          .toString('base64');
        const record: SnapshotRecord<unknown> = { kind: 'settled', partition, chunk, entries };
        this.writer.add(activities, settledChunkKey(partition, chunk), JSON.stringify(record), partition);
        this.stats.snapshots += 1;
        await this.writer.maybeFlush();
      }
    await this.writer.flush();
    const writtenAt = iso(Date.now());
    for (const aggregate of ['profile', 'organization', 'mailbox', 'activity', 'job'] as const) {
      const topic = snapshotTopic(this.prefix, aggregate);
      for (const o of await this.admin.fetchTopicOffsets(aggregateTopics(this.prefix, aggregate).events)) {
        if (BigInt(o.high) === 0n) continue;
        const checkpoint: SnapshotRecord<unknown> = {
          kind: 'checkpoint',
          partition: o.partition,
          eventsOffset: o.high,
          writtenAt,
        };
        this.writer.add(
          topic,
          `${SNAPSHOT_CHECKPOINT_KEY}${o.partition}`,
          JSON.stringify(checkpoint),
          o.partition,
        );
        this.stats.snapshots += 1;
      }
    }
  }

  private async setup(size: number, t0: number, day1: number): Promise<void> {
    let t = t0;
    this.profileId = randomUUID();
    this.profile = this.decide(profileAggregate, this.profile, this.profileId, {
      type: 'CreateProfile',
      commandId: randomUUID(),
      actor: ADMIN,
      issuedAt: iso(t),
      profileId: this.profileId,
      settings: {
        name: 'Bench Exchange',
        incomingServerLocation: EWS,
        outgoingServerLocation: EWS,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-bench',
        password: this.secrets.seal('Svc-Passw0rd!', `profile:${this.profileId}:password`),
        incomingAuthenticationProtocol: 'Basic',
        outgoingAuthenticationProtocol: 'Basic',
        minimumPollingIntervalMinutes: INTERVAL_MINUTES,
        maxConcurrentConnections: 64,
        ownerId: ADMIN,
      },
    } satisfies ProfileCommand).snapshot;
    t += MINUTE;
    this.organization = this.decide(organizationAggregate, this.organization, ORG_ID, {
      type: 'SetOrganizationEmailSettings',
      commandId: randomUUID(),
      actor: ADMIN,
      issuedAt: iso(t),
      organizationId: ORG_ID,
      changes: {
        defaultServerProfileId: this.profileId,
        incomingEmailDeliveryMethod: 'ServerSideSync',
        outgoingEmailDeliveryMethod: 'ServerSideSync',
        actDeliveryMethod: 'None',
        processEmailsOnlyForApprovedUsers: true,
        processEmailsOnlyForApprovedQueues: true,
      },
      defaultServerProfile: { exists: true, active: true },
    } satisfies OrganizationCommand).snapshot;
    t += MINUTE;

    // Spread over the mailboxes (partitions get their share); the sample takes the first of each class.
    const sampled = (k: number) => k === 0 || Math.floor((k + 1) * POLL_SAMPLE) > Math.floor(k * POLL_SAMPLE);
    let idleSeen = 0;
    let activeSeen = 0;
    for (let i = 0; i < size; i++) {
      const id = randomUUID();
      const idle = Math.floor((i + 1) * IDLE_SHARE) > Math.floor(i * IDLE_SHARE);
      const mb: MailboxSim = {
        id,
        index: i,
        email: `m${i + 1}@bench.test`,
        owner: `owner-${i % 50}`,
        // Spread over the mailboxes, not the first ones (partitions get their share).
        idle,
        everyPoll: sampled(idle ? idleSeen++ : activeSeen++),
        snap: emptySnapshot(this.mailboxDefinition),
        partition: this.writer.partitionOf(id, true),
        nextPollAt: 0,
        arrivals: [],
        sends: [],
        failAt: null,
        failuresLeft: 0,
        lastOp: null,
        cursor: randomBytes(90).toString('base64'),
      };
      this.mailboxes.push(mb);
      this.decideMailbox(mb, {
        type: 'ProvisionMailbox',
        commandId: randomUUID(),
        actor: ADMIN,
        issuedAt: iso(t + i * 20),
        mailboxId: id,
        kind: 'User',
        settings: {
          name: `Mailbox ${i + 1}`,
          emailAddress: mb.email,
          ownerId: mb.owner,
          serverProfileId: this.profileId,
          incomingEmailDeliveryMethod: 'ServerSideSync',
          outgoingEmailDeliveryMethod: 'ServerSideSync',
          actDeliveryMethod: 'None',
        },
        serverProfile: mailboxProfileFacts(this.profile.state),
      });
      await this.writer.maybeFlush();
    }
    t += size * 20 + MINUTE;
    t = await this.bulkJob('ApproveEmail', t, (meta) => ({ ...meta, type: 'ApproveEmail' }));
    // approvalRequired and the profile's facts are filled in by the owner (withOwnerFacts).
    t = await this.bulkJob('TestAndEnable', t, (meta) => ({
      ...meta,
      type: 'RequestTest',
      approvalRequired: true,
    }));
    for (const mb of this.mailboxes) {
      const m = mailboxOf(mb.snap.state);
      const results: Partial<Record<MailboxArea, AreaTestResult>> = {};
      for (const area of m.testAreas) results[area] = { outcome: 'Success' };
      this.decideMailbox(mb, {
        type: 'RecordTestResult',
        mailboxId: mb.id,
        commandId: stableId('test-result', m.testId ?? '', String(m.testAttempt)),
        actor: WORKER,
        issuedAt: iso(t + mb.index * 10),
        testId: m.testId ?? '',
        attempt: m.testAttempt,
        results,
      });
      if (!shouldPoll(mailboxOf(mb.snap.state), true))
        throw new Error(`mailbox ${mb.id} is not polled after Test & Enable`);
      await this.writer.maybeFlush();
    }
    // First polls (audited: where tracking began), spread over the interval just before day 1.
    const period = INTERVAL_MINUTES * MINUTE + CLAIM_SLACK_MS;
    for (const mb of this.mailboxes) {
      this.poll(mb, day1 - period + Math.floor((mb.index / this.mailboxes.length) * period));
      await this.writer.maybeFlush();
    }
  }

  /** A bulk job as the job runner drives it: start, 250 mailbox commands per recorded chunk, complete. */
  private async bulkJob(
    type: 'ApproveEmail' | 'TestAndEnable',
    start: number,
    item: (meta: { commandId: string; actor: string; issuedAt: string; mailboxId: string }) => MailboxCommand,
  ): Promise<number> {
    let t = start;
    for (let from = 0; from < this.mailboxes.length; from += 10_000) {
      const group = this.mailboxes.slice(from, from + 10_000);
      const jobId = randomUUID();
      let job = emptySnapshot(jobAggregate);
      const jobCommand = (body: JobCommand) => {
        job = this.decide(jobAggregate, job, jobId, body).snapshot;
        this.jobs.set(jobId, job);
      };
      jobCommand({
        type: 'StartBulkJob',
        commandId: randomUUID(),
        actor: ADMIN,
        issuedAt: iso(t),
        jobId,
        mailboxIds: group.map((m) => m.id),
        parameters: { type },
      });
      for (let i = 0; i < group.length; i += 250) {
        t += 1000;
        const chunk = group.slice(i, i + 250);
        for (const mb of chunk) {
          const meta = {
            commandId: jobItemCommandId(jobId, mb.id),
            actor: ADMIN,
            issuedAt: iso(t),
            mailboxId: mb.id,
          };
          this.decideMailbox(mb, item(meta), jobId);
        }
        jobCommand({
          type: 'RecordBulkJobItems',
          commandId: randomUUID(),
          actor: ADMIN,
          issuedAt: iso(t + 200),
          jobId,
          results: chunk.map((mb) => ({ mailboxId: mb.id, outcome: 'Done' as const })),
        });
        await this.writer.maybeFlush();
      }
      t += 1000;
      jobCommand({ type: 'CompleteBulkJob', commandId: randomUUID(), actor: ADMIN, issuedAt: iso(t), jobId });
    }
    return t + MINUTE;
  }

  /** A day in hour slices, so the log is in time order to the hour across mailboxes. */
  private async day(dayStart: number): Promise<void> {
    for (const mb of this.mailboxes) {
      mb.sends = [];
      if (mb.idle) continue;
      const arrivals = Array.from(
        { length: EMAILS_PER_DAY },
        () => dayStart + Math.floor(this.random() * DAY),
      );
      mb.arrivals.push(...arrivals.sort((a, b) => a - b));
      mb.sends = Array.from({ length: SENDS_PER_DAY }, () => dayStart + Math.floor(this.random() * DAY)).sort(
        (a, b) => a - b,
      );
      if (this.random() < FAILURE_SHARE) {
        mb.failAt = dayStart + Math.floor(this.random() * (DAY - HOUR));
        mb.failuresLeft = 2;
        this.stats.outages += 1;
      }
    }
    for (let h = 1; h <= 24; h++) {
      const end = dayStart + h * HOUR;
      for (const mb of this.mailboxes) {
        while (mb.nextPollAt < end) {
          if (mb.everyPoll || this.hasWork(mb, mb.nextPollAt)) this.poll(mb, mb.nextPollAt);
          else {
            mb.nextPollAt += INTERVAL_MINUTES * MINUTE + CLAIM_SLACK_MS;
            this.stats.quietPollsSkipped += 1;
          }
        }
        while (mb.sends.length > 0 && mb.sends[0]! < end) this.send(mb, mb.sends.shift()!);
        await this.writer.maybeFlush();
      }
    }
  }

  /** Whether a poll at `at` would track mail, fail, or recover (a quiet poll changes only operational state). */
  private hasWork(mb: MailboxSim, at: number): boolean {
    return (
      (mb.arrivals.length > 0 && mb.arrivals[0]! <= at) ||
      (mb.failAt !== null && at >= mb.failAt) ||
      syncOf(mailboxOf(mb.snap.state)).lastSyncError !== null
    );
  }

  /** One poll as the sync runtime makes it: claim, track what arrived, record the outcome. */
  private poll(mb: MailboxSim, start: number): void {
    const sync = syncOf(mailboxOf(mb.snap.state));
    const claimed = this.decideMailbox(mb, {
      type: 'StartPoll',
      mailboxId: mb.id,
      commandId: stableId('poll-start', mb.id, String(sync.polls), WORKER, String(start)),
      actor: WORKER,
      issuedAt: iso(start),
      poll: sync.polls,
      minIntervalMs: INTERVAL_MINUTES * MINUTE + CLAIM_SLACK_MS,
    });
    if (claimed === 0) throw new Error(`poll claim of ${mb.id} at ${iso(start)} refused`);
    const reachedAt = start + 300;
    const failing = mb.failAt !== null && start >= mb.failAt && mb.failuresLeft > 0;
    let outcome: Extract<MailboxCommand, { type: 'RecordSyncOutcome' }>['outcome'];
    let delay: number;
    if (failing) {
      mb.failuresLeft -= 1;
      if (mb.failuresLeft === 0) mb.failAt = null;
      outcome = { kind: 'Failed', errorClass: 'Transient', reason: FAILURE_REASON };
      delay = pollFailureDelayMs(INTERVAL_MINUTES, sync.consecutiveFailures, DEFAULT_POLL_SCHEDULE, () => 0);
    } else {
      let n = 0;
      while (mb.arrivals.length > 0 && mb.arrivals[0]! <= start) {
        this.track(mb, mb.arrivals.shift()!, reachedAt + 50 * n);
        n += 1;
      }
      outcome = {
        kind: 'Synced',
        syncState: `${mb.cursor}${sync.polls + 1}`,
        itemsProcessed: n,
        itemsFailed: 0,
        trackFrom: sync.trackFrom ?? iso(Math.floor(start / 1000) * 1000),
      };
      // As for a mailbox with mail: the interval, no idle back-off, no jitter.
      delay = nextPollDelayMs(INTERVAL_MINUTES, null, true, DEFAULT_POLL_SCHEDULE, () => 0);
    }
    const recordedAt = reachedAt + 200 + 50 * (outcome.kind === 'Synced' ? outcome.itemsProcessed : 0);
    const recorded = this.decideMailbox(mb, {
      type: 'RecordSyncOutcome',
      mailboxId: mb.id,
      commandId: stableId('sync', mb.id, String(sync.polls)),
      actor: WORKER,
      issuedAt: iso(recordedAt),
      poll: sync.polls,
      outcome,
      nextSyncDueAt: iso(reachedAt + delay),
    });
    if (recorded === 0) throw new Error(`poll outcome of ${mb.id} at ${iso(start)} refused`);
    mb.nextPollAt = Math.max(reachedAt + delay, start + INTERVAL_MINUTES * MINUTE + CLAIM_SLACK_MS);
    this.stats.polls += 1;
    if (this.inDays && mb.idle && mb.everyPoll) this.stats.idlePolls += 1;
  }

  private body(n: number, to: string): string {
    const head = `Message ${n} for ${to}\n\n`;
    return head + this.filler.slice(0, Math.max(0, BODY_BYTES - head.length));
  }

  private track(mb: MailboxSim, arrivedAt: number, at: number): void {
    const n = this.stats.tracked++;
    const internetMessageId = `<${n}.${mb.index}.${arrivedAt}@fabrikam.test>`;
    const exchangeItemId = `AAMkAD${Buffer.from(`${mb.id}:${n}`.padEnd(105, '.')).toString('base64')}`;
    const activityId = incomingEmailActivityId(mb.id, internetMessageId, exchangeItemId);
    const tracked = this.decide(activityAggregate, emptySnapshot(activityAggregate), activityId, {
      type: 'TrackIncomingEmail',
      activityId,
      commandId: stableId('track', activityId),
      actor: WORKER,
      issuedAt: iso(at),
      mailboxId: mb.id,
      exchangeItemId,
      internetMessageId,
      subject: `Quarterly figures ${n}`,
      from: `sender${n % 17}@fabrikam.test`,
      to: [mb.email],
      cc: [],
      body: this.body(n, mb.email),
      bodyType: 'Text',
      receivedAt: iso(arrivedAt),
      sentAt: iso(arrivedAt - 1500),
    } satisfies ActivityCommand).snapshot;
    // Finished: as its owner's store keeps it, a settled entry (docs/adr/0012), or else its whole retained state.
    if (SNAPSHOTS) {
      this.activitySnapshot(activityId, { ...tracked, state: retainedActivityState(tracked.state) });
    }
  }

  /** An email queued in the CRM, claimed and sent by the worker (S-3). */
  private send(mb: MailboxSim, at: number): void {
    const n = this.stats.sends++;
    const activityId = randomUUID();
    let snap = this.decide(activityAggregate, emptySnapshot(activityAggregate), activityId, {
      type: 'QueueOutgoingEmail',
      activityId,
      commandId: randomUUID(),
      actor: mb.owner,
      issuedAt: iso(at),
      mailboxId: mb.id,
      from: mb.email,
      to: [`customer${n % 31}@fabrikam.test`],
      cc: [],
      subject: `Re: Quarterly figures ${n}`,
      body: this.body(n, mb.email),
      bodyType: 'HTML',
    } satisfies ActivityCommand).snapshot;
    const claimAt = at + 2000;
    snap = this.decide(activityAggregate, snap, activityId, {
      type: 'ClaimSend',
      activityId,
      commandId: stableId('send-claim', activityId, '1', CLAIMANT, String(claimAt)),
      actor: WORKER,
      issuedAt: iso(claimAt),
      attempt: 1,
      claimant: CLAIMANT,
      claimUntil: iso(claimAt + 2 * MINUTE),
    } satisfies ActivityCommand).snapshot;
    const sentAt = claimAt + 800;
    snap = this.decide(activityAggregate, snap, activityId, {
      type: 'RecordSendOutcome',
      activityId,
      commandId: stableId('send-outcome', activityId, '1'),
      actor: WORKER,
      issuedAt: iso(sentAt),
      attempt: 1,
      outcome: {
        kind: 'Sent',
        exchangeItemId: '',
        internetMessageId: `<${activityId}@bench.test>`,
        sentAt: iso(sentAt),
      },
    } satisfies ActivityCommand).snapshot;
    if (SNAPSHOTS) this.activitySnapshot(activityId, { ...snap, state: retainedActivityState(snap.state) });
  }

  /** A finished activity as its owner's store keeps it: a settled entry (docs/adr/0012) by now, or else whole. */
  private activitySnapshot(activityId: string, retained: AggregateSnapshot<ActivityState>): void {
    const kind = settledActivity.kindOf(retained.state, Date.now());
    const code = kind === null ? null : settledCode(kind, retained.version);
    if (code === null) {
      this.snapshot('activity', activityId, retained);
      return;
    }
    const partition = this.writer.partitionOf(activityId);
    let table = this.settledActivities.get(partition);
    if (!table) this.settledActivities.set(partition, (table = new SettledTable()));
    table.add(settledDigest(activityId), code);
  }

  /** Idle mailboxes, and those of them with every poll decided (the ones measured per hour). */
  idleMailboxes(): { all: number; measured: number } {
    const idle = this.mailboxes.filter((m) => m.idle);
    return { all: idle.length, measured: idle.filter((m) => m.everyPoll).length };
  }
}

// ------------------------------------------------------------------------------------------------ measuring

interface Start {
  ok: boolean;
  seconds: number;
  rss: number | null;
  peak: number | null;
  note: string;
  /** What the readiness answer said beside `status` (a worker: the settled entries it holds, docs/adr/0013). */
  details?: { settledActivities?: { partitions: number[]; loading: number[]; aggregates: number } };
}

/** The worker environment of this bench: measured for its start, it should not poll the overdue mailboxes. */
function workerEnv(common: Record<string, string>, port: number): Record<string, string> {
  return {
    ...common,
    HEALTH_PORT: String(port),
    SSYNC_INSTANCE_ID: `bench-history-w-${randomBytes(3).toString('hex')}`,
    SSYNC_WORKER_TICK_MS: '60000',
    SSYNC_WORKER_CONCURRENCY: '1',
    SSYNC_EWS_TIMEOUT_MS: '1000',
  };
}

interface PairStart {
  ok: boolean;
  seconds: number;
  note: string;
  workers: { rss: number | null; partitions: number[]; entries: number }[];
}

/**
 * Two workers started together: spawn → both ready with the activity partitions split between them and loaded;
 * the settled entries each holds (docs/adr/0013) and its RSS.
 */
async function pairStart(
  common: Record<string, string>,
  timeoutS: number,
  logFile: (name: string) => string,
): Promise<PairStart> {
  const ports = [await freePort(), await freePort()];
  const t0 = performance.now();
  const procs = ports.map((port, i) =>
    startAppLogged('apps/sync-worker/src/main.js', workerEnv(common, port), logFile(`worker-pair-${i + 1}`)),
  );
  try {
    for (;;) {
      const seconds = (performance.now() - t0) / 1000;
      if (seconds > timeoutS)
        return { ok: false, seconds, note: `not split and ready in ${timeoutS} s`, workers: [] };
      const held = await Promise.all(
        ports.map(async (port) => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/health/ready`, {
              signal: AbortSignal.timeout(5000),
            });
            const s = ((await res.json()) as Start['details'])?.settledActivities;
            return res.ok && s && s.loading.length === 0 ? s : null;
          } catch {
            return null;
          }
        }),
      );
      const split =
        held.every((h) => h !== null && h.partitions.length > 0) &&
        held.reduce((n, h) => n + (h?.partitions.length ?? 0), 0) === PARTITIONS;
      if (split)
        return {
          ok: true,
          seconds: (performance.now() - t0) / 1000,
          note: '',
          workers: held.map((h, i) => ({
            rss: memoryMiB(procs[i]!.pid)?.rss ?? null,
            partitions: h!.partitions,
            entries: h!.aggregates,
          })),
        };
      await sleep(250);
    }
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p)));
  }
}

/** Spawn → first 200 of the readiness URL; RSS right after; then a graceful stop (the app leaves its groups). */
async function coldStart(
  entry: string,
  env: Record<string, string>,
  url: string,
  timeoutS: number,
  logFile: string,
): Promise<Start> {
  const t0 = performance.now();
  const proc = startAppLogged(entry, env, logFile);
  const status: { exited: string | null } = { exited: null };
  proc.once('exit', (code, signal) => (status.exited = `exited with ${code ?? signal}`));
  let last = '';
  try {
    for (;;) {
      if (status.exited)
        return { ok: false, seconds: NaN, rss: null, peak: null, note: `${status.exited}, see ${logFile}` };
      const seconds = (performance.now() - t0) / 1000;
      if (seconds > timeoutS)
        return { ok: false, seconds, rss: null, peak: null, note: `not ready in ${timeoutS} s: ${last}` };
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        if (res.ok) {
          const mem = memoryMiB(proc.pid);
          let details: Start['details'];
          try {
            details = JSON.parse(body) as Start['details'];
          } catch {
            details = undefined;
          }
          return {
            ok: true,
            seconds: (performance.now() - t0) / 1000,
            rss: mem?.rss ?? null,
            peak: mem?.peak ?? null,
            note: '',
            details,
          };
        }
        last = body.slice(0, 300);
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
  } finally {
    await stopProcess(proc);
  }
}

/** Records per topic of the prefix (end minus start offsets: without transactions, one offset per record). */
async function topicRecords(admin: Admin, prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const topic of (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort()) {
    let n = 0;
    for (const p of await admin.fetchTopicOffsets(topic)) n += Number(p.high) - Number(p.low);
    counts.set(topic, n);
  }
  return counts;
}

/** kafkajs over the rebuild's topics, with its fetch settings: each record's value parsed, nothing else. */
async function rawConsume(kafka: Kafka, admin: Admin, topics: string[], prefix: string) {
  const targets = new Map<string, bigint>();
  for (const topic of topics)
    for (const p of await admin.fetchTopicOffsets(topic))
      if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}:${p.partition}`, BigInt(p.high));
  const reached = new Map<string, bigint>();
  let records = 0;
  let done = () => undefined as void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const check = () => {
    if ([...targets].every(([key, high]) => (reached.get(key) ?? -1n) >= high - 1n)) done();
  };
  const t0 = performance.now();
  const consumer = kafka.consumer({
    groupId: `${prefix}.bench-raw.${randomBytes(4).toString('hex')}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 8,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (m.value) JSON.parse(m.value.toString('utf8'));
        records += 1;
      }
      if (batch.messages.length > 0)
        reached.set(`${batch.topic}:${batch.partition}`, BigInt(batch.lastOffset()));
      check();
      await Promise.resolve();
    },
  });
  check();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return { records, seconds };
}

interface RebuildResult {
  finished: boolean;
  events: number;
  seconds: number;
  /**
   * The replay alone: events over the rebuild's own replay time (consumer start to the last document written),
   * or, without a report, per second between the first and the last commit of the rebuild's group.
   */
  replayRate: number;
  note: string;
}

/** Records the rebuild's consumer group has committed (any group of the prefix's projector but `active`). */
async function rebuildCommitted(admin: Admin, prefix: string, active: string | null): Promise<number> {
  const { groups } = await admin.listGroups();
  let n = 0;
  for (const { groupId } of groups) {
    if (!groupId.startsWith(`${prefix}.projector.v`) || groupId === active) continue;
    for (const t of await admin.fetchOffsets({ groupId, topics: eventTopics(prefix) }))
      for (const p of t.partitions) n += Math.max(0, Number(p.offset));
  }
  return n;
}

async function rebuild(
  env: Record<string, string>,
  logFile: string,
  admin: Admin,
  mongo: MongoClient,
  dbName: string,
  prefix: string,
): Promise<RebuildResult> {
  const pointer = await mongo
    .db(dbName)
    .collection<{ _id: string; groupId: string }>('projection_meta')
    .findOne({ _id: 'main' });
  const active = pointer?.groupId ?? null;
  const t0 = performance.now();
  const proc = startAppLogged('apps/projector/src/main.js', env, logFile, {
    args: ['rebuild'],
    pipeStdout: true,
  });
  let stdout = '';
  proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const status: { code: number | null | undefined } = { code: undefined };
  proc.once('exit', (code) => (status.code = code));
  // Progress once a second: the replay's own rate, and how far a rebuild that times out got.
  const samples: { t: number; n: number }[] = [];
  let elapsed = 0;
  while (status.code === undefined && elapsed < REBUILD_TIMEOUT_S) {
    await sleep(1000);
    elapsed = (performance.now() - t0) / 1000;
    const n = await rebuildCommitted(admin, prefix, active).catch(() => NaN);
    if (Number.isFinite(n)) samples.push({ t: elapsed, n });
  }
  const finished = status.code !== undefined;
  if (!finished) await stopProcess(proc);
  const seconds = (performance.now() - t0) / 1000;
  const committed = await rebuildCommitted(admin, prefix, active).catch(() => NaN);
  const from = samples.find((x) => x.n > 0);
  const to = samples.find((x) => x.n >= committed) ?? samples[samples.length - 1];
  const replayRate = from && to && to.t > from.t ? (to.n - from.n) / (to.t - from.t) : NaN;
  if (!finished)
    return {
      finished,
      events: committed,
      seconds,
      replayRate,
      note: `not finished in ${REBUILD_TIMEOUT_S} s: events = records its group committed`,
    };
  try {
    const report = JSON.parse(
      stdout.slice(stdout.indexOf('{\n  "fromVersion"'), stdout.lastIndexOf('}') + 1),
    ) as {
      events: number;
      seconds: number;
      replaySeconds: number;
      match: boolean;
    };
    return {
      finished,
      events: report.events,
      seconds,
      // Its own clock when it reports: the replay ends with the mailbox documents it held back written.
      replayRate: report.replaySeconds > 0 ? report.events / report.replaySeconds : replayRate,
      note: `exit ${status.code}, checksums ${report.match ? 'match' : 'DIFFER'}; ${report.seconds.toFixed(1)} s by its own report`,
    };
  } catch {
    return {
      finished: false,
      events: committed,
      seconds,
      replayRate,
      note: `exit ${status.code}, no report (see ${logFile}); events = records its group committed`,
    };
  }
}

/** One collection of the rebuilt views, inserted again by itself (see {@link serverCeiling}). */
interface CeilingRow {
  collection: string;
  documents: number;
  bytes: number;
  seconds: number;
}

/** Documents per insertMany and calls in flight when the server takes the rebuilt views alone. */
const CEILING_BATCH = 1000;
const CEILING_IN_FLIGHT = 8;
/** A ceiling pass whose inserts take less than this is run twice. */
const CEILING_REPEAT_BELOW_S = 60;

/**
 * What the MongoDB-compatible server alone costs the rebuild: every document of the views the rebuild made (the
 * read-model version it switched to) is read back, then inserted into empty collections with the same indexes in
 * a scratch database, CEILING_BATCH per insertMany and CEILING_IN_FLIGHT at once, collection by collection; the
 * faster of two such passes when one takes under CEILING_REPEAT_BELOW_S. Only the inserts are timed. A replay that
 * writes these documents cannot apply events faster than the log's events in that time, however it is written.
 */
async function serverCeiling(mongo: MongoClient, dbName: string): Promise<CeilingRow[]> {
  // A short pass is repeated and the faster kept: the machine is noisy, and the server may still be writing the
  // rebuild's checkpoint. A long one averages that out (at the full size a pass reads and writes ~1.5M documents).
  const seconds = (rows: CeilingRow[]) => rows.reduce((a, r) => a + r.seconds, 0);
  const first = await ceilingPass(mongo, dbName);
  if (seconds(first) >= CEILING_REPEAT_BELOW_S) return first;
  const second = await ceilingPass(mongo, dbName);
  return seconds(first) <= seconds(second) ? first : second;
}

async function ceilingPass(mongo: MongoClient, dbName: string): Promise<CeilingRow[]> {
  const source = mongo.db(dbName);
  const pointer = await source
    .collection<{ _id: string; version: number }>('projection_meta')
    .findOne({ _id: 'main' });
  if (!pointer) return [];
  const suffix = `_v${pointer.version}`;
  const scratch = mongo.db(`${dbName}_ceiling`);
  const rows: CeilingRow[] = [];
  try {
    for (const { name } of await source.listCollections({}, { nameOnly: true }).toArray()) {
      if (!name.endsWith(suffix)) continue;
      const from = source.collection(name);
      await scratch.createCollection(name);
      for (const index of await from.listIndexes().toArray()) {
        if (index.name === '_id_') continue;
        await scratch.collection(name).createIndex(index.key as Record<string, 1 | -1>, {
          name: index.name,
          unique: index.unique === true,
        });
      }
      const row: CeilingRow = {
        collection: name.slice(0, -suffix.length),
        documents: 0,
        bytes: 0,
        seconds: 0,
      };
      const cursor = from.find().batchSize(CEILING_BATCH);
      let chunk: Record<string, unknown>[] = [];
      const flush = async () => {
        const slices: Record<string, unknown>[][] = [];
        for (let i = 0; i < chunk.length; i += CEILING_BATCH) slices.push(chunk.slice(i, i + CEILING_BATCH));
        const t0 = performance.now();
        await Promise.all(slices.map((s) => scratch.collection(name).insertMany(s, { ordered: false })));
        row.seconds += (performance.now() - t0) / 1000;
        row.documents += chunk.length;
        chunk = [];
      };
      for await (const doc of cursor) {
        row.bytes += Buffer.byteLength(JSON.stringify(doc));
        chunk.push(doc);
        if (chunk.length === CEILING_BATCH * CEILING_IN_FLIGHT) await flush();
      }
      if (chunk.length > 0) await flush();
      if (row.documents > 0) rows.push(row);
    }
  } finally {
    // Collection by collection: FerretDB v1's dropDatabase can crash it (bench/lib.ts).
    for (const { name } of await scratch.listCollections({}, { nameOnly: true }).toArray())
      await scratch.dropCollection(name).catch(() => undefined);
  }
  return rows;
}

interface PointResult {
  size: number;
  days: number;
  idle: { all: number; measured: number };
  stats: HistoryStats;
  generateS: number;
  mib: number;
  records: Map<string, number>;
  api: Start;
  worker: Start;
  pair: PairStart;
  projectorFirst: Start;
  projector: Start | null;
  written: Map<string, number>;
  raw: { records: number; seconds: number } | null;
  rebuild: RebuildResult | null;
  ceiling: CeilingRow[];
}

async function point(size: number, days: number, secrets: SecretBox, logDir: string): Promise<PointResult> {
  const env = await benchEnv('history');
  const prefix = env.prefix;
  const dbName = new URL(env.mongoUri).pathname.slice(1);
  const kafka = createKafka({
    clientId: 'bench-history',
    brokers: env.brokers.split(','),
    silent: true,
    ...loadKafkaSecurity(),
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const mongo = new MongoClient(env.mongoUri);
  await Promise.all([admin.connect(), producer.connect(), mongo.connect()]);
  try {
    await ensureTopics(admin, topicSpecs(prefix, PARTITIONS, 1));
    note(`${size} mailboxes, ${days} day(s): making the history in ${prefix}`);
    const writer = new LogWriter(producer, PARTITIONS);
    const history = new History(prefix, writer, secrets, admin);
    const g0 = performance.now();
    await history.make(size, days);
    const generateS = (performance.now() - g0) / 1000;
    const records = await topicRecords(admin, prefix);
    note(
      `history made in ${generateS.toFixed(0)} s: ${history.stats.decisions} commands decided, ${(writer.bytes / 2 ** 20).toFixed(0)} MiB in ${[...records.values()].reduce((a, b) => a + b, 0)} records`,
    );

    const token = `bench-${randomBytes(12).toString('hex')}`;
    const common = { ...env.env, SSYNC_DEV_TOKEN: token, SSYNC_PARTITIONS: String(PARTITIONS) };
    const log = (role: string) => path.join(logDir, `${prefix}-${role}.log`);
    const apiPort = await freePort();
    note('cold start: api');
    const api = await coldStart(
      'apps/api/src/main.js',
      { ...common, PORT: String(apiPort) },
      `http://127.0.0.1:${apiPort}/health/ready`,
      READY_TIMEOUT_S,
      log('api'),
    );
    note(`api: ${api.ok ? `ready in ${api.seconds.toFixed(1)} s, RSS ${fmt(api.rss, 0)} MiB` : api.note}`);
    const workerPort = await freePort();
    const worker = await coldStart(
      'apps/sync-worker/src/main.js',
      workerEnv(common, workerPort),
      `http://127.0.0.1:${workerPort}/health/ready`,
      READY_TIMEOUT_S,
      log('worker'),
    );
    note(
      `worker: ${worker.ok ? `ready in ${worker.seconds.toFixed(1)} s, RSS ${fmt(worker.rss, 0)} MiB, ${worker.details?.settledActivities?.aggregates ?? '?'} settled entries` : worker.note}`,
    );
    note('two workers started together');
    const pair = await pairStart(common, READY_TIMEOUT_S, log);
    note(
      `two workers: ${pair.ok ? `split and ready in ${pair.seconds.toFixed(1)} s; ${pair.workers.map((w) => `${w.partitions.length} partitions, ${w.entries} settled entries, RSS ${fmt(w.rss, 0)} MiB`).join('; ')}` : pair.note}`,
    );
    const projectorPort = await freePort();
    const projectorEnv = { ...common, HEALTH_PORT: String(projectorPort) };
    const projectorUrl = `http://127.0.0.1:${projectorPort}/health/ready`;
    note('projector: first start (projects the whole log)');
    const projectorFirst = await coldStart(
      'apps/projector/src/main.js',
      projectorEnv,
      projectorUrl,
      PROJECT_TIMEOUT_S,
      log('projector'),
    );
    note(
      `projector first start: ${projectorFirst.ok ? `ready in ${projectorFirst.seconds.toFixed(1)} s` : projectorFirst.note}`,
    );
    let projector: Start | null = null;
    if (projectorFirst.ok) {
      projector = await coldStart(
        'apps/projector/src/main.js',
        projectorEnv,
        projectorUrl,
        READY_TIMEOUT_S,
        log('projector'),
      );
      note(
        `projector restart: ${projector.ok ? `ready in ${projector.seconds.toFixed(1)} s, RSS ${fmt(projector.rss, 0)} MiB` : projector.note}`,
      );
    }
    const after = await topicRecords(admin, prefix);
    const written = new Map<string, number>();
    for (const [topic, n] of after) {
      const d = n - (records.get(topic) ?? 0);
      if (d !== 0) written.set(topic.slice(prefix.length + 1), d);
    }

    let raw: PointResult['raw'] = null;
    let rebuilt: RebuildResult | null = null;
    let ceiling: CeilingRow[] = [];
    if (days <= REBUILD_MAX_DAYS) {
      note('raw consume of the rebuild topics');
      raw = await rawConsume(kafka, admin, eventTopics(prefix), prefix);
      note(`raw consume: ${raw.records} records in ${raw.seconds.toFixed(1)} s`);
      note(`rebuild (at most ${REBUILD_TIMEOUT_S} s)`);
      rebuilt = await rebuild(common, log('rebuild'), admin, mongo, dbName, prefix);
      note(`rebuild: ${rebuilt.events} events in ${rebuilt.seconds.toFixed(1)} s (${rebuilt.note})`);
      if (rebuilt.finished) {
        note('the server alone: the rebuilt views inserted again');
        ceiling = await serverCeiling(mongo, dbName);
      }
    }
    return {
      size,
      days,
      idle: history.idleMailboxes(),
      stats: history.stats,
      generateS,
      mib: writer.bytes / 2 ** 20,
      records,
      api,
      worker,
      pair,
      projectorFirst,
      projector,
      written,
      raw,
      rebuild: rebuilt,
      ceiling,
    };
  } finally {
    if (!KEEP) {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      await admin.deleteTopics({ topics }).catch((e: unknown) => note(`topics not deleted: ${String(e)}`));
      const { groups } = await admin.listGroups();
      const mine = groups.map((g) => g.groupId).filter((id) => id.startsWith(`${prefix}.`));
      if (mine.length > 0) await admin.deleteGroups(mine).catch(() => undefined);
      await mongo
        .db(dbName)
        .dropDatabase()
        .catch((e: unknown) => note(`database not dropped: ${String(e)}`));
    } else note(`kept topics ${prefix}.* and database ${dbName} (BENCH_KEEP=1)`);
    await Promise.all([admin.disconnect(), producer.disconnect(), mongo.close()]).catch(() => undefined);
  }
}

function report(results: PointResult[]): void {
  const size = results[0]!.size;
  const short = (topic: string) => topic.replace(/^.*?\.(\w+)\.(events|operational|snapshots)$/, '$1.$2');
  out(
    `\nbench:history — ${size} mailboxes (${results[0]!.idle.all} idle, ${results[0]!.idle.measured} of them measured), per active mailbox and day ${EMAILS_PER_DAY} tracked emails of ${BODY_BYTES} B and ${SENDS_PER_DAY} sent, ` +
      `an outage a day for ${FAILURE_SHARE * 100} % of them, a poll every ${INTERVAL_MINUTES * 60 + CLAIM_SLACK_MS / 1000} s (every poll decided for ${POLL_SAMPLE * 100} % of the mailboxes); ` +
      `snapshots: ${SNAPSHOTS ? "written (what compaction keeps of the owners' checkpoints)" : 'none (BENCH_SNAPSHOTS=0: every start replays the log)'}; ${PARTITIONS} partitions; ${databaseLabel()}`,
  );
  out("\nhistory (the owners' deciders, written straight into the topics):");
  out(
    'days | made in s | commands decided | MiB | audited events: profile organization mailbox activity job = total | operational records decided / written | polls decided (quiet ones skipped) | audited per idle mailbox per hour (events / idle polls) | audited mailbox events per mailbox per day',
  );
  for (const r of results) {
    const a = r.stats.audited;
    const total = Object.values(a).reduce((x, y) => x + y, 0);
    const idleHours = r.idle.measured * r.days * 24;
    out(
      `${String(r.days).padStart(4)} | ${fmt(r.generateS, 0).padStart(9)} | ${String(r.stats.decisions).padStart(16)} | ${fmt(r.mib, 0).padStart(5)} | ` +
        `${a.profile} ${a.organization} ${a.mailbox} ${a.activity} ${a.job} = ${total} | ${r.stats.operationalDecided} / ${r.stats.operationalWritten} | ${r.stats.polls} (${r.stats.quietPollsSkipped}) | ` +
        `${fmt(idleHours > 0 ? r.stats.idleAudited / idleHours : NaN, 3)} (${r.stats.idleAudited} / ${r.stats.idlePolls}) | ${fmt(r.stats.mailboxAuditedInDays / (r.size * r.days), 2)}`,
    );
  }
  for (const r of results)
    out(
      `  ${r.days} day(s), records in the topics: ${[...r.records]
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${short(t)} ${n}`)
        .join(', ')}`,
    );
  out('\ncold start (spawn → first 200 of /health/ready; RSS right after, peak RSS in parentheses; MiB):');
  out(
    'days | api s | api RSS | worker s | worker RSS | projector first start s (projects the log) | projector restart s | projector RSS',
  );
  const start = (s: Start | null, width: number) => (s && s.ok ? fmt(s.seconds) : 'n/a').padStart(width);
  const mem = (s: Start | null, width: number) =>
    (s && s.ok ? `${fmt(s.rss, 0)} (${fmt(s.peak, 0)})` : 'n/a').padStart(width);
  for (const r of results)
    out(
      `${String(r.days).padStart(4)} | ${start(r.api, 5)} | ${mem(r.api, 7)} | ${start(r.worker, 8)} | ${mem(r.worker, 10)} | ${start(r.projectorFirst, 42)} | ${start(r.projector, 19)} | ${mem(r.projector, 13)}`,
    );
  out(
    '\nsettled activity entries held (docs/adr/0013): one worker alone, then two started together (spawn → both ready, the activity partitions split and loaded):',
  );
  out('days | one worker: entries | two workers: s | partitions | entries | RSS MiB');
  for (const r of results) {
    const one = r.worker.details?.settledActivities?.aggregates;
    const two = r.pair.ok
      ? `${fmt(r.pair.seconds).padStart(15)} | ${r.pair.workers.map((w) => w.partitions.length).join(' + ')} | ${r.pair.workers.map((w) => w.entries).join(' + ')} | ${r.pair.workers.map((w) => fmt(w.rss, 0)).join(' / ')}`
      : r.pair.note;
    out(`${String(r.days).padStart(4)} | ${String(one ?? 'n/a').padStart(19)} | ${two}`);
  }
  for (const r of results) {
    const problems = [
      ['api', r.api],
      ['worker', r.worker],
      ['projector first start', r.projectorFirst],
      ['projector restart', r.projector],
    ] as const;
    for (const [name, s] of problems) if (s && !s.ok) out(`  ${r.days} day(s), ${name}: ${s.note}`);
    if (r.written.size > 0)
      out(
        `  ${r.days} day(s), records the apps wrote while measured: ${[...r.written].map(([t, n]) => `${t} ${n}`).join(', ')}`,
      );
  }
  out(
    '\nrebuild (`projector rebuild`: the whole process — boot, checksum before, replay, switch, checksum after, drop — and the replay alone, by its own report: consumer start to the last document written) next to a raw kafkajs consume of the same topics:',
  );
  out(
    'days | rebuild events | s | events/s | replay events/s | raw records | s | records/s | rebuild / raw | replay / raw | note',
  );
  for (const r of results) {
    if (!r.rebuild || !r.raw) {
      out(`${String(r.days).padStart(4)} | not run (BENCH_REBUILD_MAX_DAYS=${REBUILD_MAX_DAYS})`);
      continue;
    }
    const rate = r.rebuild.events / r.rebuild.seconds;
    const rawRate = r.raw.records / r.raw.seconds;
    out(
      `${String(r.days).padStart(4)} | ${String(r.rebuild.events).padStart(14)} | ${fmt(r.rebuild.seconds)} | ${fmt(rate, 0)} | ${fmt(r.rebuild.replayRate, 0)} | ${r.raw.records} | ${fmt(r.raw.seconds)} | ${fmt(rawRate, 0)} | ${fmt((100 * rate) / rawRate, 1)} % | ${fmt((100 * r.rebuild.replayRate) / rawRate, 1)} % | ${r.rebuild.note}`,
    );
  }
  for (const r of results) {
    if (r.ceiling.length === 0 || !r.rebuild || !r.raw) continue;
    const docs = r.ceiling.reduce((a, c) => a + c.documents, 0);
    const seconds = r.ceiling.reduce((a, c) => a + c.seconds, 0);
    const ceilingRate = r.rebuild.events / seconds;
    const rawRate = r.raw.records / r.raw.seconds;
    out(
      `\nthe server alone, ${r.days} day(s): the documents of the rebuilt views, read back, then inserted into empty collections with the same indexes (${CEILING_BATCH} per insertMany, ${CEILING_IN_FLIGHT} at once; only the inserts timed; the faster of two passes when one takes under ${CEILING_REPEAT_BELOW_S} s):`,
    );
    out('collection | documents | bytes/document | s | documents/s');
    for (const c of r.ceiling)
      out(
        `${c.collection} | ${c.documents} | ${fmt(c.bytes / c.documents, 0)} | ${fmt(c.seconds, 2)} | ${fmt(c.documents / c.seconds, 0)}`,
      );
    out(
      `all | ${docs} | ${fmt(r.ceiling.reduce((a, c) => a + c.bytes, 0) / docs, 0)} | ${fmt(seconds, 2)} | ${fmt(docs / seconds, 0)}`,
    );
    out(
      `  a replay that writes them can apply at most ${r.rebuild.events} events in ${fmt(seconds, 2)} s = ${fmt(ceilingRate, 0)} events/s = ${fmt((100 * ceilingRate) / rawRate, 1)} % of raw consume; the replay ran at ${fmt((100 * r.rebuild.replayRate) / ceilingRate, 0)} % of that`,
    );
  }
  const first = results[0]!;
  const last = results[results.length - 1]!;
  if (results.length < 2) return;
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a !== null && a !== undefined && b !== null && b !== undefined && b > 0 ? fmt(a / b, 2) : '-';
  const total = (r: PointResult) => Object.values(r.stats.audited).reduce((x, y) => x + y, 0);
  const ok = (s: Start | null) => (s && s.ok ? s : null);
  out(`\nratios ${last.days} days / ${first.days} day(s) (issue #9 targets in brackets):`);
  out(`  audited events ×${ratio(total(last), total(first))}`);
  out(
    `  api:       time to ready ×${ratio(ok(last.api)?.seconds, ok(first.api)?.seconds)} [≤ 1.3], RSS ×${ratio(ok(last.api)?.rss, ok(first.api)?.rss)}`,
  );
  out(
    `  worker:    time to ready ×${ratio(ok(last.worker)?.seconds, ok(first.worker)?.seconds)} [≤ 1.3], RSS ×${ratio(ok(last.worker)?.rss, ok(first.worker)?.rss)} [≤ 1.3]`,
  );
  out(
    `  projector: restart ×${ratio(ok(last.projector)?.seconds, ok(first.projector)?.seconds)}, RSS ×${ratio(ok(last.projector)?.rss, ok(first.projector)?.rss)}; first start ×${ratio(ok(last.projectorFirst)?.seconds, ok(first.projectorFirst)?.seconds)}`,
  );
  out(
    '  other targets: 0 audited events per idle mailbox and poll; a worker with 10,000 mailboxes and 10 days ready in < 30 s; rebuild ≥ 50 % of raw consume',
  );
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const logDir = path.join(repoRoot(), '.ssync', 'logs', 'bench-history');
  mkdirSync(logDir, { recursive: true });
  const secrets = new SecretBox(await loadKeyring(process.env, { logger: { warn: () => undefined } }));
  for (const size of SIZES) {
    const results: PointResult[] = [];
    for (const days of DAYS) results.push(await point(size, days, secrets, logDir));
    report(results);
  }
  out(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s; app logs in ${logDir}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
