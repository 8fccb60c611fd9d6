import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import {
  ActivityCommand,
  AreaTestResult,
  Mailbox,
  MailboxArea,
  MailboxCommand,
  OrganizationCommand,
  ProfileState,
  organizationEmailSettingsOf,
  serviceStreamId,
  incomingEmailActivityId,
  nextPollAt,
  shouldPoll,
  syncOf,
} from '@ssync/domain';
import {
  CallNotStartedError,
  ExchangeClientFactory,
  ExchangeConnection,
  Message,
  errorClass,
  moveToUndeliverable,
  normalizeExchangeError,
  syncInbox,
  testIncoming,
  testOutgoing,
} from '@ssync/exchange';
import {
  arrivalToTracked,
  isDependencyFault,
  pollLateness,
  pollStarts,
  reportOwnedMailboxes,
  testResults,
  withLogContext,
} from '@ssync/common';
import { CommandResult, KafkaCommandGateway } from '@ssync/messaging';
import { MailboxOwner } from '../mailbox-owner';
import { ConnectionSetupError, OpenSecret, connectionSpec } from './connection-spec';
import { stableId } from './ids';
import { DeferredWork, InterruptionTracker } from './interruptions';
import { ActivitySource, OutgoingSender } from './sender';
import { DueQueue } from './due-queue';
import { DEFAULT_RECOVERY, RecoveryOptions, ServerRecovery } from './recovery';
import {
  DEFAULT_POLL_SCHEDULE,
  PollSchedule,
  minPollIntervalMs,
  nextPollDelayMs,
  pollFailureDelayMs,
} from './schedule';

export interface SyncRuntimeOptions {
  orgId: string;
  /** How often the runtime looks for due work. */
  tickMs: number;
  /** Mailboxes worked on at once by this worker (tests and polls). */
  concurrency: number;
  /** Per EWS request. */
  requestTimeoutMs: number;
  /** SyncFolderItems page size and pages per poll. */
  pageSize: number;
  maxPagesPerPoll: number;
  autodiscoverUrl?: string;
  actor: string;
  /** This process, as the administrators' alerts name it (default: the actor). */
  instanceId?: string;
  /**
   * A poll is claimed (StartPoll) just before its first Exchange request; if the claim takes longer than this to
   * come back, the poll is dropped, and this much is added to the minimum interval the claim records (P-10).
   */
  pollClaimSlackMs: number;
  /**
   * A scheduled poll is claimed this long before it is due, with the due time as the start it reserves
   * (`StartPoll.notBefore`): the claim's transaction then no longer lengthens each mailbox's period, and may wait
   * longer to share its partition's transaction. 0: claimed when due, with the connection slot held.
   */
  pollClaimLeadMs?: number;
  /** S-3/S-6: minutes between retries of a send that failed transiently (default: the domain's policy). */
  sendRetryDelayMinutes?: number;
  /** Early polls while a server fails and once it answers again (default: DEFAULT_RECOVERY). */
  recovery?: RecoveryOptions;
  /** P-10: how far an idle mailbox's polls back off, in intervals (default: DEFAULT_POLL_SCHEDULE's). */
  idleBackoffFactor?: number;
  now?: () => number;
}

type ActiveMailbox = { mailbox: Mailbox; version: number };

/** Messages of one page tracked at once. */
const TRACK_CONCURRENCY = 16;
/** How long a mailbox's work waits after the command bus was away (issue #11). */
const BUS_RETRY_MS = 5_000;

/** `fn` over `items`, at most `limit` at a time, results in order; the first rejection rejects the whole. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * The work a sync worker does for the mailboxes whose partitions it owns: run requested Test & Enable checks (M-6)
 * and poll enabled mailboxes for incoming email (S-1), turning each new message into exactly one email activity.
 * Outcomes go back as commands to the mailbox and activity aggregates, so every result is an event, decided by the
 * one owner of that aggregate.
 */
export class SyncRuntime {
  private readonly logger = new Logger('SyncRuntime');
  private readonly inFlight = new Set<string>();
  /**
   * Polls in flight that only wait — for the start their claim reserved, or for their outcome's transaction —
   * and so do not count against the concurrency, which bounds the work against Exchange.
   */
  private readonly waiting = new Set<string>();
  private readonly lastDelay = new Map<string, number>();
  /** Mailboxes whose poll claim was refused or came back late: not tried again before this (ms since epoch). */
  private readonly retryAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private kicked = false;
  private readonly running = new Set<Promise<void>>();
  private readonly now: () => number;
  private sender: OutgoingSender | null = null;
  private readonly recovery: ServerRecovery;
  private readonly schedule: PollSchedule;
  /** The owned mailboxes by when they next have work; looked at again on any change to them. */
  private readonly queue = new DueQueue();
  /** The partitions the queue was filled for. */
  private partitions = '';
  /** A profile or the organization changed: every mailbox's work may have. */
  private lookAtAll = false;
  /** Dependencies this worker could not reach, and the work it put off: recorded once they answer again. */
  readonly interruptions: InterruptionTracker;
  readonly stats = {
    testsRun: 0,
    polls: 0,
    messagesTracked: 0,
    messagesDuplicate: 0,
    /** Polls put off because the broker or the database was away (issue #11). */
    pollsDeferred: 0,
    messagesFailed: 0,
    pollErrors: 0,
    /** Polls not started: the claim was refused (another owner polled it recently) or came back too late. */
    pollsNotClaimed: 0,
    /** Polls claimed ahead of their due time (`pollClaimLeadMs`) and accepted. */
    pollsClaimedAhead: 0,
    /** Polls ahead of schedule (a failing server probed, or answering again) that met the fault: not recorded. */
    earlyPollsFailed: 0,
  };

  constructor(
    private readonly owner: MailboxOwner,
    private readonly gateway: KafkaCommandGateway,
    private readonly exchange: ExchangeClientFactory,
    private readonly open: OpenSecret,
    private readonly options: SyncRuntimeOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.recovery = new ServerRecovery(options.recovery ?? DEFAULT_RECOVERY);
    this.schedule = {
      ...DEFAULT_POLL_SCHEDULE,
      maxIdleFactor: options.idleBackoffFactor ?? DEFAULT_POLL_SCHEDULE.maxIdleFactor,
    };
    this.interruptions = new InterruptionTracker(
      'sync-worker',
      options.instanceId ?? options.actor,
      this.now,
    );
    // Any change to a mailbox (an event, an operational record such as a poll's outcome) may change its work.
    owner.mailboxes.subscribe((envelope) => this.queue.schedule(envelope.aggregateId, this.now()));
    owner.mailboxes.subscribeOperational((id) => this.queue.schedule(id, this.now()));
    owner.profiles.subscribe(() => (this.lookAtAll = true));
    owner.organizations.subscribe(() => (this.lookAtAll = true));
    reportOwnedMailboxes(() => this.mailboxCounts());
  }

  /** This worker's mailboxes by state, for `ssync_owned_mailboxes` (asked at each scrape, not each tick). */
  mailboxCounts(): Record<string, number> {
    const counts = { syncing: 0, failing: 0, testing: 0, failed: 0, idle: 0 };
    const org = organizationEmailSettingsOf(this.owner.organizations.get(this.options.orgId).state);
    for (const [id, { state }] of this.owner.mailboxes.entries()) {
      if (state.status !== 'Active' || !this.owner.owns(id)) continue;
      const m = state.mailbox;
      const approval =
        m.kind === 'User' ? org.processEmailsOnlyForApprovedUsers : org.processEmailsOnlyForApprovedQueues;
      if (m.testPending) counts.testing += 1;
      else if (shouldPoll(m, approval)) {
        if (syncOf(m).consecutiveFailures > 0) counts.failing += 1;
        else counts.syncing += 1;
      } else if (m.mailboxStatus === 'Failure' || syncOf(m).lastSyncError !== null) counts.failed += 1;
      else counts.idle += 1;
    }
    return counts;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
  }

  /** Outgoing email (S-3) once the activities this worker follows are known. */
  enableSending(activities: ActivitySource): void {
    this.sender = new OutgoingSender(
      this.owner,
      activities,
      this.gateway,
      (mailbox, direction) => this.connect(mailbox, direction),
      {
        actor: this.options.actor,
        concurrency: this.options.concurrency,
        now: this.now,
        interruptions: this.interruptions,
        ...(this.options.sendRetryDelayMinutes !== undefined
          ? { retryDelayMinutes: this.options.sendRetryDelayMinutes }
          : {}),
      },
    );
  }

  get sendStats(): OutgoingSender['stats'] | null {
    return this.sender?.stats ?? null;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  private tick(): void {
    if (this.stopping || !this.owner.isReady()) return;
    this.recordInterruptions();
    for (const job of this.sender?.due() ?? []) {
      this.running.add(job);
      void job.finally(() => this.running.delete(job));
    }
    this.dispatch();
  }

  /**
   * Soon after a mailbox's work ends, not at the next tick: a freed place would otherwise idle for half a tick on
   * average, which at ~100 ms per poll was more than the poll itself.
   */
  private kick(): void {
    if (this.kicked || this.stopping) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      if (!this.stopping && this.owner.isReady()) this.dispatch();
    });
  }

  /** Starts the work that is due, in due order, up to the concurrency. */
  private dispatch(): void {
    const now = this.now();
    // Once per tick, not per mailbox: the organization's approval rule (S-1 polls only approved mailboxes if set).
    const org = organizationEmailSettingsOf(this.owner.organizations.get(this.options.orgId).state);
    const approvalRequired = (mailbox: Mailbox): boolean =>
      mailbox.kind === 'User'
        ? org.processEmailsOnlyForApprovedUsers
        : org.processEmailsOnlyForApprovedQueues;
    // Which mailboxes are this worker's, and the rules every one of them follows, change rarely: then each is looked
    // at again. Otherwise a tick looks only at the mailboxes due, in order (issue #12).
    const partitions = this.owner.assignedPartitions().join(',');
    if (partitions !== this.partitions || this.lookAtAll) {
      this.partitions = partitions;
      this.lookAtAll = false;
      for (const [id] of this.owner.mailboxes.entries()) this.queue.schedule(id, now);
    }
    const lead = this.options.pollClaimLeadMs ?? 0;
    for (let id = this.queue.pop(now); id !== null; id = this.queue.pop(now)) {
      if (this.inFlight.size - this.waiting.size >= this.options.concurrency) {
        this.queue.schedule(id, now);
        return;
      }
      // A mailbox being worked on is looked at again when its work ends; one not owned, when it is.
      if (this.inFlight.has(id) || !this.owner.owns(id)) continue;
      const snapshot = this.owner.mailboxes.get(id);
      if (snapshot.state.status !== 'Active') continue;
      const mailbox = snapshot.state.mailbox;
      const next = this.nextWork(mailbox, approvalRequired(mailbox), now);
      if (next === null) continue;
      // A scheduled poll starts (its claim goes) `lead` before it is due; a test or an early poll when due.
      const ahead = next.kind === 'polls' && !next.early ? lead : 0;
      if (next.at - ahead > now) {
        this.queue.schedule(id, next.at - ahead);
        continue;
      }
      const notBefore = ahead > 0 && next.at > now ? next.at : null;
      this.inFlight.add(id);
      const kind: DeferredWork = next.kind;
      const run =
        kind === 'tests'
          ? () => this.runTest({ mailbox, version: snapshot.version })
          : () => this.poll({ mailbox, version: snapshot.version }, next.early, notBefore);
      // Its log lines and commands carry the mailbox and one correlation id (a test's id, or one per poll).
      const fields = {
        aggregateType: 'mailbox',
        aggregateId: id,
        correlationId: mailbox.testPending && mailbox.testId ? mailbox.testId : randomUUID(),
      };
      const job = withLogContext(fields, () =>
        run().catch((error: unknown) => {
          if (isDependencyFault(error)) {
            this.retryAt.set(id, this.now() + BUS_RETRY_MS);
            this.interruptions.deferred(error, kind);
            this.logger.warn(`mailbox ${id}: deferred, ${error.message}`);
          } else
            this.logger.error(`mailbox ${id}: ${error instanceof Error ? error.message : String(error)}`);
        }),
      ).finally(() => {
        this.inFlight.delete(id);
        this.running.delete(job);
        this.queue.schedule(id, this.now());
        this.kick();
      });
      this.running.add(job);
    }
  }

  /**
   * A mailbox's next piece of work and when it is due, or null when it has none until its state changes: a
   * requested test once its attempt is due, else a poll once the schedule (P-10, B-5) or a recovering server
   * ({@link ServerRecovery}) says so — never before a local retry time.
   */
  private nextWork(
    mailbox: Mailbox,
    approvalRequired: boolean,
    now: number,
  ): { kind: DeferredWork; at: number; early: boolean } | null {
    const retry = this.retryAt.get(mailbox.mailboxId) ?? 0;
    if (mailbox.testPending) {
      const attemptAt = mailbox.nextTestAttemptAt === null ? 0 : Date.parse(mailbox.nextTestAttemptAt);
      return { kind: 'tests', at: Math.max(attemptAt, retry), early: false };
    }
    if (!shouldPoll(mailbox, approvalRequired)) return null;
    const sync = syncOf(mailbox);
    const scheduled = nextPollAt(sync) ?? 0;
    const floor = sync.nextPollNotBefore === null ? 0 : Date.parse(sync.nextPollNotBefore);
    const early = this.recovery.earlyAt(mailbox.serverProfileId ?? '', mailbox.mailboxId);
    const earlyAt = early === null ? Infinity : Math.max(early, floor);
    return earlyAt < scheduled && scheduled > now
      ? { kind: 'polls', at: Math.max(earlyAt, retry), early: true }
      : { kind: 'polls', at: Math.max(scheduled, retry), early: false };
  }

  /**
   * Each closed window of {@link InterruptionTracker} becomes one event of the organization's service stream, for the
   * administrators' alerts. Its command id comes from the worker, the dependency and the start: sent again after a
   * failure, it is not recorded twice.
   */
  private recordInterruptions(): void {
    for (const interruption of this.interruptions.take()) {
      const command: OrganizationCommand = {
        type: 'RecordServiceInterruption',
        commandId: stableId(
          'interruption',
          interruption.instanceId,
          interruption.dependency,
          interruption.from,
        ),
        actor: this.options.actor,
        issuedAt: new Date(this.now()).toISOString(),
        organizationId: this.options.orgId,
        ...interruption,
      };
      const job = this.gateway
        .sendCommand('organization', serviceStreamId(this.options.orgId), command)
        .then((result) => {
          if (!result.accepted)
            this.logger.error(`interruption not recorded: ${JSON.stringify(result.error)}`);
          else
            this.logger.log(
              `recorded: ${interruption.dependency} away ${interruption.from} → ${interruption.to}, deferred ${JSON.stringify(interruption.deferred)}`,
            );
        })
        .catch((error: unknown) => {
          if (isDependencyFault(error)) this.interruptions.retry(interruption);
          else this.logger.error(`interruption not recorded: ${String(error)}`);
        });
      this.running.add(job);
      void job.finally(() => this.running.delete(job));
    }
  }

  private profileOf(
    mailbox: Mailbox,
  ): { id: string; state: Extract<ProfileState, { status: 'Active' | 'Inactive' }> } | null {
    if (!mailbox.serverProfileId) return null;
    const state = this.owner.profiles.get(mailbox.serverProfileId).state;
    return state.status === 'None' ? null : { id: mailbox.serverProfileId, state };
  }

  private connect(mailbox: Mailbox, direction: 'incoming' | 'outgoing'): Promise<ExchangeConnection> {
    const profile = this.profileOf(mailbox);
    if (!profile)
      throw new ConnectionSetupError(
        'ServerProfileNotFound: the email server profile of the mailbox does not exist',
      );
    const spec = connectionSpec(
      {
        profileId: profile.id,
        profile: profile.state.settings,
        mailbox,
        open: this.open,
        timeoutMs: this.options.requestTimeoutMs,
        ...(this.options.autodiscoverUrl ? { autodiscoverUrl: this.options.autodiscoverUrl } : {}),
      },
      direction,
    );
    return this.exchange.connect(spec);
  }

  private send(
    aggregateType: 'mailbox' | 'activity',
    aggregateId: string,
    command: MailboxCommand | ActivityCommand,
  ): Promise<CommandResult> {
    return this.gateway.sendCommand(aggregateType, aggregateId, command);
  }

  /** Test & Enable (M-6): each requested area against Exchange, one result per area, recorded once per attempt. */
  private async runTest({ mailbox }: ActiveMailbox): Promise<void> {
    const testId = mailbox.testId;
    if (!testId) return;
    const areas = mailbox.testAreas;
    const results: Partial<Record<MailboxArea, AreaTestResult>> = {};
    const checks: Partial<Record<MailboxArea, (c: ExchangeConnection) => Promise<void>>> = {
      incomingEmail: testIncoming,
      outgoingEmail: testOutgoing,
    };
    for (const area of areas) {
      // ACT (S-4) is not synchronized by this version: its area is reported not run by the mailbox itself.
      const check = checks[area];
      if (!check) continue;
      try {
        const conn = await this.connect(mailbox, area === 'outgoingEmail' ? 'outgoing' : 'incoming');
        await check(conn);
        results[area] = { outcome: 'Success' };
      } catch (error) {
        // The broker or the database away is no answer from Exchange: the test runs again once they are back.
        if (isDependencyFault(error)) throw error;
        results[area] = this.testFailure(error);
      }
    }
    this.stats.testsRun += 1;
    for (const [area, result] of Object.entries(results)) testResults.inc({ area, outcome: result.outcome });
    this.interruptions.resumed();
    const issuedAt = new Date(this.now()).toISOString();
    const result = await this.send('mailbox', mailbox.mailboxId, {
      type: 'RecordTestResult',
      mailboxId: mailbox.mailboxId,
      commandId: stableId('test-result', testId, String(mailbox.testAttempt)),
      actor: this.options.actor,
      issuedAt,
      testId,
      attempt: mailbox.testAttempt,
      results,
    });
    if (!result.accepted)
      this.logger.warn(`test result for ${mailbox.mailboxId} refused: ${result.error?.message ?? ''}`);
  }

  private testFailure(error: unknown): AreaTestResult {
    if (error instanceof ConnectionSetupError)
      return { outcome: 'Failure', reason: error.message, errorClass: 'Permanent' };
    const e = normalizeExchangeError(error);
    const cls = errorClass(e.code);
    return {
      outcome: 'Failure',
      reason: `${e.code}: ${e.message}`,
      errorClass: cls === 'permanent' ? 'Permanent' : 'Transient',
    };
  }

  /**
   * One poll (S-1): pages of inbox changes since the recorded cursor; each new message becomes exactly one email
   * activity (a deterministic activity id, so a message seen again — after a crash, a rebalance or a full re-sync —
   * is a duplicate, not a second activity); only then is the new cursor recorded. A stale poll (another owner got
   * there first) is ignored by the mailbox aggregate.
   */
  private async poll(
    { mailbox }: ActiveMailbox,
    early = false,
    notBefore: number | null = null,
  ): Promise<void> {
    const profile = this.profileOf(mailbox);
    if (!profile) return;
    const interval = profile.state.settings.minimumPollingIntervalMinutes;
    let sync = syncOf(mailbox);
    if (notBefore !== null && !(await this.claimAhead(mailbox.mailboxId, sync.polls, interval, notBefore)))
      return;
    const started = this.now();
    this.recovery.started(profile.id, mailbox.mailboxId, started);
    // Without Process Email From, tracking starts with the first poll — at the whole second, because Exchange keeps
    // DateTimeReceived to the second and mail arriving during that poll must not fall before the cut-off.
    const trackFrom =
      sync.trackFrom ??
      profile.state.settings.processEmailFrom ??
      new Date(Math.floor(started / 1000) * 1000).toISOString();
    let processed = 0;
    let failed = 0;
    try {
      const conn = await this.connect(mailbox, 'incoming');
      let state = sync.syncState;
      // The interval (P-10) counts from when Exchange answered the poll's first request, not from when the poll
      // began (connecting and waiting for a P-11 slot can take seconds) nor from when the request was let go (its
      // way to Exchange varies by tens of ms, so Exchange would see polls that much closer than the interval). The
      // outcome narrows P-10's floor to it (the claim's own floor allowed for the claim's slack).
      let reachedAt: number | null = null;
      // When the claimed first request was let go: within the claim's slack of the start the claim recorded.
      let requestedAt: number | null = null;
      for (let page = 0; page < this.options.maxPagesPerPoll; page += 1) {
        // A mailbox that moved to another worker mid-poll is that worker's now; it resumes from the recorded cursor.
        if (page > 0 && !this.owner.owns(mailbox.mailboxId)) return;
        // The first request of a poll goes out only once the poll is claimed (P-10 across owners): a claim made
        // ahead holds while the request goes within the slack of the start it reserved; otherwise the claim is
        // made with the connection slot held, right before the request.
        const pageConn =
          page === 0
            ? conn.guarded(async () => {
                if (requestedAt !== null) return true;
                if (notBefore !== null) {
                  const at = this.now();
                  if (at < notBefore) await sleep(notBefore - at);
                  requestedAt = Math.max(this.now(), notBefore);
                  return requestedAt - notBefore <= this.options.pollClaimSlackMs;
                }
                requestedAt = await this.claimPoll(mailbox.mailboxId, sync.polls, interval);
                return requestedAt !== null;
              })
            : conn;
        const res = await syncInbox(pageConn, state, this.options.pageSize);
        if (reachedAt === null) {
          // Claimed (the broker) with a connection slot (the database): both answer again.
          this.stats.polls += 1;
          pollStarts.inc();
          // Lateness against the schedule; a poll brought forward has none.
          if (!early) pollLateness.observe(Math.max(0, this.now() - (nextPollAt(sync) ?? started)) / 1000);
          this.interruptions.resumed();
          this.retryAt.delete(mailbox.mailboxId);
          reachedAt = this.now();
          const moved = this.recovery.reached(profile.id, mailbox.mailboxId, reachedAt);
          for (const [id, at] of moved) this.queue.schedule(id, at);
          if (moved.length > 0)
            this.logger.log(
              `profile ${profile.id} answers again: ${moved.length} failing mailbox(es) polled early`,
            );
        }
        // Each message is its own activity aggregate, so a page's messages are tracked side by side: their
        // commands share the activity partitions' transactions instead of waiting for each other's round trip.
        const outcomes = await mapBounded(res.created, TRACK_CONCURRENCY, (message) =>
          this.track(
            mailbox,
            profile.state.settings.moveFailedEmailsToUndeliverableFolder,
            conn,
            message,
            trackFrom,
          ),
        );
        for (const outcome of outcomes) {
          if (outcome === 'failed') failed += 1;
          else processed += 1;
        }
        const hadMail = res.created.length > 0;
        const delay = nextPollDelayMs(
          interval,
          this.lastDelay.get(mailbox.mailboxId) ?? null,
          hadMail || processed > 0,
          this.schedule,
          Math.random,
          sync.polls === 0,
        );
        // Only waiting for its partition's transaction from here (the outcome may linger).
        this.waiting.add(mailbox.mailboxId);
        const recorded = await this.send('mailbox', mailbox.mailboxId, {
          type: 'RecordSyncOutcome',
          mailboxId: mailbox.mailboxId,
          commandId: stableId('sync', mailbox.mailboxId, String(sync.polls)),
          actor: this.options.actor,
          issuedAt: new Date(this.now()).toISOString(),
          poll: sync.polls,
          outcome: {
            kind: 'Synced',
            syncState: res.newSyncState,
            itemsProcessed: processed,
            itemsFailed: failed,
            trackFrom,
          },
          nextSyncDueAt: new Date(reachedAt + delay).toISOString(),
          ...(page === 0 && requestedAt !== null
            ? { requestedAt: new Date(reachedAt).toISOString(), minIntervalMs: minPollIntervalMs(interval) }
            : {}),
        }).finally(() => this.waiting.delete(mailbox.mailboxId));
        if (!recorded.accepted || recorded.events.length === 0) return; // someone else moved the cursor on
        this.lastDelay.set(mailbox.mailboxId, delay);
        sync = { ...sync, polls: sync.polls + 1, syncState: res.newSyncState };
        state = res.newSyncState;
        if (!res.moreAvailable) return;
      }
    } catch (error) {
      if (error instanceof CallNotStartedError) {
        // The claim was refused (another worker polled it within the interval) or came back too late: no poll.
        this.stats.pollsNotClaimed += 1;
        this.retryAt.set(mailbox.mailboxId, this.now() + 1000);
        return;
      }
      if (isDependencyFault(error)) {
        // The broker or the database (connection slots, P-11) is away, not Exchange: nothing to record against the
        // mailbox (an outage must not disable it). The poll is not done; it runs again from the recorded cursor,
        // its commands with the same ids.
        this.stats.pollsDeferred += 1;
        this.interruptions.deferred(error, 'polls');
        this.retryAt.set(mailbox.mailboxId, this.now() + BUS_RETRY_MS);
        this.logger.warn(`poll of ${mailbox.mailboxId} deferred: ${error.message}`);
        return;
      }
      await this.recordPollFailure(mailbox, profile.id, sync.polls, interval, error, early);
    }
  }

  /**
   * Claims poll `poll` of a mailbox in its aggregate, holding the connection slot, just before the first request
   * (P-10 across owners): the aggregate refuses a start before the previous start plus the interval, whichever
   * worker made it. A claim that took longer than the slack to come back is not used — the request would then
   * reach Exchange later than the floor it set assumes.
   */
  private async claimPoll(
    mailboxId: string,
    poll: number,
    intervalMinutes: number,
    notBefore: number | null = null,
  ): Promise<number | null> {
    const issuedAt = this.now();
    const slack = this.options.pollClaimSlackMs;
    const start = Math.max(issuedAt, notBefore ?? issuedAt);
    // Wait no longer than the claim could still be used (a claim made when due holds the connection slot
    // meanwhile); a claim that could not be sent is no poll either (not an Exchange failure).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>(
      (resolve) => (timer = setTimeout(() => resolve(null), start + slack - issuedAt)),
    );
    const sent = this.send('mailbox', mailboxId, {
      type: 'StartPoll',
      mailboxId,
      commandId: stableId('poll-start', mailboxId, String(poll), this.options.actor, String(issuedAt)),
      actor: this.options.actor,
      issuedAt: new Date(issuedAt).toISOString(),
      poll,
      minIntervalMs: minPollIntervalMs(intervalMinutes) + slack,
      ...(start > issuedAt ? { notBefore: new Date(start).toISOString() } : {}),
    }).catch((error: unknown) => {
      // The broker away: a poll put off (its claim may have come back late first; this is the answer).
      if (isDependencyFault(error)) this.interruptions.deferred(error, 'polls');
      this.logger.warn(
        `poll claim for ${mailboxId} not sent: ${error instanceof Error ? error.message : String(error)}`,
      );
      return null;
    });
    const result = await Promise.race([sent, late]).finally(() => clearTimeout(timer));
    // The broker answered, even if the database (connection slots) is still away.
    if (result) this.interruptions.answered('kafka');
    if (!result?.accepted || result.events.length === 0) return null;
    const now = this.now();
    return now - start <= slack ? Math.max(now, start) : null;
  }

  /**
   * Claims a scheduled poll ahead of its due time (`pollClaimLeadMs`), reserving that time as its start, then waits
   * for it. False when the claim was refused or came back too late: the poll does not run (tried again in 1 s).
   */
  private async claimAhead(
    mailboxId: string,
    poll: number,
    interval: number,
    notBefore: number,
  ): Promise<boolean> {
    this.waiting.add(mailboxId);
    try {
      if ((await this.claimPoll(mailboxId, poll, interval, notBefore)) === null) {
        this.stats.pollsNotClaimed += 1;
        this.retryAt.set(mailboxId, this.now() + 1000);
        return false;
      }
      this.stats.pollsClaimedAhead += 1;
      const wait = notBefore - this.now();
      if (wait > 0) await sleep(wait);
      return true;
    } finally {
      this.waiting.delete(mailboxId);
    }
  }

  private async recordPollFailure(
    mailbox: Mailbox,
    server: string,
    poll: number,
    interval: number,
    error: unknown,
    early: boolean,
  ): Promise<void> {
    const issuedAt = new Date(this.now()).toISOString();
    let outcome: Extract<MailboxCommand, { type: 'RecordSyncOutcome' }>['outcome'];
    // Failures in a row back off (doubling from the interval, up to the idle bound), so the transient failures that
    // would disable a mailbox (S-6) span a real outage, not a minute of it.
    let delay = pollFailureDelayMs(interval, syncOf(mailbox).consecutiveFailures);
    let retryAfterMs = 0;
    if (error instanceof ConnectionSetupError) {
      outcome = { kind: 'Failed', errorClass: 'Permanent', reason: error.message };
    } else {
      const e = normalizeExchangeError(error);
      const cls = errorClass(e.code);
      if (cls === 'cursor') outcome = { kind: 'CursorInvalid', reason: `${e.code}: ${e.message}` };
      else
        outcome = {
          kind: 'Failed',
          errorClass: e.code === 'throttled' ? 'Throttled' : cls === 'permanent' ? 'Permanent' : 'Transient',
          reason: `${e.code}: ${e.message}`,
        };
      // Exchange said how long to back off (ErrorServerBusy): honour it (S-5).
      if (e.retryAfterMs !== undefined) delay = Math.max(delay, e.retryAfterMs);
      retryAfterMs = e.retryAfterMs ?? 0;
    }
    if (outcome.kind === 'Failed' && outcome.errorClass !== 'Permanent') {
      this.recovery.failed(server, mailbox.mailboxId, this.now(), retryAfterMs);
      if (early) {
        // A probe, or a poll pulled forward by a recovery, that met the fault again: not the mailbox's failure.
        this.stats.earlyPollsFailed += 1;
        this.logger.debug(`early poll of ${mailbox.mailboxId} failed: ${outcome.reason}`);
        return;
      }
    } else this.recovery.forget(mailbox.mailboxId);
    this.stats.pollErrors += 1;
    this.logger.warn(`poll of ${mailbox.mailboxId} failed: ${outcome.reason}`);
    await this.send('mailbox', mailbox.mailboxId, {
      type: 'RecordSyncOutcome',
      mailboxId: mailbox.mailboxId,
      commandId: stableId('sync', mailbox.mailboxId, String(poll)),
      actor: this.options.actor,
      issuedAt,
      poll,
      outcome,
      nextSyncDueAt: new Date(this.now() + delay).toISOString(),
    });
  }

  /** One message → one activity, or a ledger entry saying why not (B-1); failures go to Undeliverable (P-12). */
  private async track(
    mailbox: Mailbox,
    moveFailed: boolean,
    conn: ExchangeConnection,
    message: Message,
    trackFrom: string,
  ): Promise<'tracked' | 'skipped' | 'failed'> {
    const activityId = incomingEmailActivityId(mailbox.mailboxId, message.internetMessageId, message.itemId);
    const issuedAt = new Date(this.now()).toISOString();
    const ref = {
      activityId,
      mailboxId: mailbox.mailboxId,
      exchangeItemId: message.itemId,
      internetMessageId: message.internetMessageId ?? '',
    };
    const received = message.dateTimeReceived?.toISOString() ?? issuedAt;
    if (Date.parse(received) < Date.parse(trackFrom)) {
      await this.send('activity', activityId, {
        type: 'RecordMessageOutcome',
        commandId: stableId('outcome', activityId, 'skip'),
        actor: this.options.actor,
        issuedAt,
        ...ref,
        outcome: 'SkippedByRule',
        reason: `received ${received}, before Process Email From ${trackFrom}`,
      });
      return 'skipped';
    }
    const result = await this.send('activity', activityId, {
      type: 'TrackIncomingEmail',
      commandId: stableId('track', activityId),
      actor: this.options.actor,
      issuedAt,
      ...ref,
      subject: message.subject,
      from: message.from?.address ?? '',
      to: message.to.map((a) => a.address),
      cc: message.cc.map((a) => a.address),
      body: message.body,
      bodyType: 'Text',
      receivedAt: received,
      sentAt: message.dateTimeSent?.toISOString() ?? null,
    });
    if (result.accepted) {
      if (result.events.length === 0) this.stats.messagesDuplicate += 1;
      else {
        this.stats.messagesTracked += 1;
        arrivalToTracked.observe(Math.max(0, this.now() - Date.parse(received)) / 1000);
      }
      return 'tracked';
    }
    this.stats.messagesFailed += 1;
    const reason = result.error?.message ?? 'refused';
    let outcome: 'Failed' | 'MovedToUndeliverable' = 'Failed';
    if (moveFailed) {
      try {
        await moveToUndeliverable(conn, message.itemId);
        outcome = 'MovedToUndeliverable';
      } catch (error) {
        this.logger.warn(
          `could not move ${message.itemId} to Undeliverable: ${normalizeExchangeError(error).message}`,
        );
      }
    }
    await this.send('activity', activityId, {
      type: 'RecordMessageOutcome',
      commandId: stableId('outcome', activityId, outcome),
      actor: this.options.actor,
      issuedAt,
      ...ref,
      outcome,
      reason,
    });
    return 'failed';
  }
}
