import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  ActivityCommand,
  ActivityState,
  Mailbox,
  OutgoingEmail,
  SEND_RETRY_POLICY,
  SendOutcome,
} from '@ssync/domain';
import {
  CallNotStartedError,
  ExchangeConnection,
  errorClass,
  normalizeExchangeError,
  sendMail,
} from '@ssync/exchange';
import { isDependencyFault, withLogContext } from '@ssync/common';
import { KafkaCommandGateway } from '@ssync/messaging';
import { MailboxOwner } from '../mailbox-owner';
import { ConnectionSetupError } from './connection-spec';
import { stableId } from './ids';
import { InterruptionTracker } from './interruptions';

/** Where the sender finds queued emails: the activity aggregates this worker follows. */
export interface ActivitySource {
  entries(): IterableIterator<[string, { state: ActivityState }]>;
  get(activityId: string): { state: ActivityState };
  subscribe(listener: (envelope: { aggregateId: string }, snapshot: { state: ActivityState }) => void): void;
}

const isPending = (state: ActivityState): boolean =>
  state.kind === 'Outgoing' && state.email.status === 'PendingSend';

/** How often sendMail looks for the Sent Items copy after sending, and how long it pauses in between. */
const COPY_LOOKUPS = 3;
const COPY_LOOKUP_PAUSE_MS = 500;
/** EWS calls of one sendMail at most: FindItem in Sent Items and in Outbox, CreateItem, the copy lookups. */
export const SEND_MAIL_CALLS = 3 + COPY_LOOKUPS;
/** How far the clocks of two workers may disagree; added to the claim, and kept free at its end. */
export const CLOCK_MARGIN_MS = 5_000;

/**
 * How long a claim lasts: every call of one sendMail at the request timeout, the pauses between copy lookups, and a
 * margin. The claim's end is what bounds the send (see `send`); the length only decides how long an
 * email claimed by a worker that died waits for another.
 */
export function claimTtlMs(conn: Pick<ExchangeConnection, 'timeoutMs'>): number {
  return SEND_MAIL_CALLS * conn.timeoutMs + (COPY_LOOKUPS - 1) * COPY_LOOKUP_PAUSE_MS + 2 * CLOCK_MARGIN_MS;
}

/** The longest one EWS call can take once started: NTLM makes two HTTP requests, each with the timeout. */
export function callBoundMs(conn: Pick<ExchangeConnection, 'timeoutMs' | 'scheme'>): number {
  return conn.timeoutMs * (conn.scheme === 'ntlm' ? 2 : 1);
}

/**
 * Outgoing email (S-3): every PendingSend activity of a mailbox this worker owns is sent once with SendAndSaveCopy
 * and its outcome recorded.
 *
 * Exactly once: a send happens only under a live claim (`ClaimSend`) accepted by the single writer of the
 * activity's partition, which gives an attempt to one claimant at a time. The claim outlasts the whole sendMail,
 * and no EWS call of the send starts unless it can end before the claim lapses (`ExchangeConnection.guarded`); an acceptance
 * that comes back late is not used. A new owner — after a partition handover, or a crash — can claim only once the
 * old claim has lapsed, by which time the old send's requests have ended (timed out client side at the latest);
 * and it still looks in Sent Items / Outbox first (the message carries the activity id as an extended property and
 * in its Internet Message-ID), so an email Exchange accepted but whose outcome was never recorded is not sent again.
 */
export class OutgoingSender {
  private readonly logger = new Logger('OutgoingSender');
  private readonly inFlight = new Set<string>();
  /** Activities waiting to be sent, kept as events arrive: a tick looks at these, not at every activity ever seen. */
  private readonly pending = new Set<string>();
  /** Activities not to try before this (ms since epoch): claimed by another worker, or a claim came back late. */
  private readonly notBefore = new Map<string, number>();
  /** This process: a restarted worker with the same instance id is another claimant. */
  readonly claimant: string;
  readonly stats = { sent: 0, alreadySent: 0, failed: 0, claimsRefused: 0, claimsLate: 0, claimsLapsed: 0 };

  constructor(
    private readonly owner: MailboxOwner,
    private readonly activities: ActivitySource,
    private readonly gateway: KafkaCommandGateway,
    private readonly connect: (mailbox: Mailbox, direction: 'outgoing') => Promise<ExchangeConnection>,
    private readonly options: {
      actor: string;
      concurrency: number;
      now: () => number;
      /** Told of sends put off for a dependency, and of sends done (the administrators' alerts, issue #11). */
      interruptions?: Pick<InterruptionTracker, 'deferred' | 'resumed'>;
      /** Minutes between retries of a transient failure (default: the domain's policy). */
      retryDelayMinutes?: number;
    },
  ) {
    this.claimant = `${options.actor}#${randomUUID().slice(0, 8)}`;
    activities.subscribe(({ aggregateId }, { state }) => {
      if (isPending(state)) this.pending.add(aggregateId);
      else {
        this.pending.delete(aggregateId);
        this.notBefore.delete(aggregateId);
      }
    });
    for (const [id, { state }] of activities.entries()) if (isPending(state)) this.pending.add(id);
  }

  /** Starts the sends that are due; returns their promises (the runtime tracks them for shutdown). */
  due(): Promise<void>[] {
    const now = this.options.now();
    const started: Promise<void>[] = [];
    for (const id of this.pending) {
      if (this.inFlight.size >= this.options.concurrency) break;
      if (this.inFlight.has(id) || (this.notBefore.get(id) ?? 0) > now) continue;
      const { state } = this.activities.get(id);
      if (state.kind !== 'Outgoing' || state.email.status !== 'PendingSend') continue;
      const email = state.email;
      if (email.nextAttemptAt !== null && Date.parse(email.nextAttemptAt) > now) continue;
      if (!this.owner.owns(email.mailboxId)) continue;
      // Claimed by another worker, as far as this one knows: not before that claim lapses.
      const held = email.claim ?? null;
      if (
        held !== null &&
        held.attempt === email.attempts + 1 &&
        held.claimant !== this.claimant &&
        Date.parse(held.claimUntil) > now
      )
        continue;
      this.inFlight.add(id);
      const fields = {
        aggregateType: 'activity',
        aggregateId: id,
        mailboxId: email.mailboxId,
        correlationId: id,
      };
      started.push(
        withLogContext(fields, () =>
          this.send(email).catch((error: unknown) => {
            // The broker or the database away: not sent, or sent and not recorded yet — no outcome to record (an
            // outage must not use up the email's attempts); a later attempt looks in Sent Items first.
            if (isDependencyFault(error)) {
              this.notBefore.set(id, this.options.now() + 5_000);
              this.options.interruptions?.deferred(error, 'sends');
              this.logger.warn(`send ${id}: deferred, ${error.message}`);
            } else this.logger.error(`send ${id}: ${error instanceof Error ? error.message : String(error)}`);
          }),
        ).finally(() => this.inFlight.delete(id)),
      );
    }
    return started;
  }

  private async send(email: OutgoingEmail): Promise<void> {
    const attempt = email.attempts + 1;
    const snapshot = this.owner.mailboxes.get(email.mailboxId).state;
    if (
      snapshot.status !== 'Active' ||
      snapshot.mailbox.outgoingEmailDeliveryMethod !== 'ServerSideSync' ||
      !snapshot.mailbox.enabledForOutgoingEmail
    ) {
      this.stats.failed += 1;
      await this.record(email, attempt, {
        kind: 'Failed',
        transient: false,
        reason:
          'MailboxNotEnabledForOutgoingEmail: the mailbox is not enabled for outgoing email by server-side synchronization',
      });
      return;
    }
    let conn: ExchangeConnection;
    try {
      conn = await this.connect(snapshot.mailbox, 'outgoing');
    } catch (error) {
      if (isDependencyFault(error)) throw error;
      this.stats.failed += 1;
      await this.record(email, attempt, failure(error));
      return;
    }
    // Connecting may have taken a while; if the mailbox moved to another worker meanwhile, that worker sends it.
    if (!this.owner.owns(email.mailboxId)) return;
    const claimUntil = await this.claim(email, attempt, claimTtlMs(conn));
    if (claimUntil === null) return;
    // Each EWS call of the send, once it holds its P-11 slot (waiting for one can take any time), starts only if it
    // can end — at its longest, `callBoundMs` — a clock margin before the claim lapses. So every request of a send
    // has ended by the time another worker can claim the email.
    const bound = callBoundMs(conn);
    const guarded = conn.guarded(() => this.options.now() + bound + CLOCK_MARGIN_MS <= claimUntil);
    let outcome: SendOutcome;
    try {
      const sent = await sendMail(
        guarded,
        {
          to: email.to,
          cc: email.cc,
          subject: email.subject,
          body: email.body,
          bodyType: email.bodyType,
          clientMessageId: email.activityId,
        },
        { findCopyAttempts: COPY_LOOKUPS, findCopyDelayMs: COPY_LOOKUP_PAUSE_MS },
      );
      if (sent.alreadySent) this.stats.alreadySent += 1;
      else this.stats.sent += 1;
      outcome = {
        kind: 'Sent',
        exchangeItemId: sent.itemId ?? '',
        internetMessageId: sent.internetMessageId ?? '',
        sentAt: new Date(this.options.now()).toISOString(),
      };
    } catch (error) {
      if (error instanceof CallNotStartedError) {
        // Not an outcome: a call was not started because the claim would lapse (slow slots or a slow server). The
        // next try claims again; if this one got as far as sending, it finds the message in Sent Items.
        this.stats.claimsLapsed += 1;
        this.logger.warn(`send ${email.activityId}: claim lapsing, stopped; will claim again`);
        return;
      }
      // The connection slots (P-11) live in the database: its outage is not Exchange's answer.
      if (isDependencyFault(error)) throw error;
      this.stats.failed += 1;
      outcome = failure(error);
    }
    await this.record(email, attempt, outcome);
    this.options.interruptions?.resumed();
  }

  /**
   * Claims attempt `attempt` for this process until now + `ttlMs`. Returns the claim's end (ms since epoch), or
   * null when the email is not to be sent now: claimed by another worker (then not tried before that claim lapses)
   * or otherwise refused, or accepted too late to count on — the send would start with less of the claim left than
   * it was sized for.
   */
  private async claim(email: OutgoingEmail, attempt: number, ttlMs: number): Promise<number | null> {
    const issuedAt = this.options.now();
    const claimUntil = issuedAt + ttlMs;
    const result = await this.gateway.sendCommand<ActivityCommand, ActivityState>(
      'activity',
      email.activityId,
      {
        type: 'ClaimSend',
        activityId: email.activityId,
        commandId: stableId('send-claim', email.activityId, String(attempt), this.claimant, String(issuedAt)),
        actor: this.options.actor,
        issuedAt: new Date(issuedAt).toISOString(),
        attempt,
        claimant: this.claimant,
        claimUntil: new Date(claimUntil).toISOString(),
      },
    );
    const now = this.options.now();
    if (!result.accepted) {
      this.stats.claimsRefused += 1;
      // The refusal carries the email as its owner knows it: who holds the claim until when, when it is due.
      const current = result.state?.kind === 'Outgoing' ? result.state.email : null;
      const held = current?.claim ?? null;
      const retryAt = Math.max(
        now + 1_000,
        held !== null && held.claimant !== this.claimant ? Date.parse(held.claimUntil) : 0,
        current?.nextAttemptAt ? Date.parse(current.nextAttemptAt) : 0,
      );
      if (this.pending.has(email.activityId)) this.notBefore.set(email.activityId, retryAt);
      this.logger.debug(
        `claim of ${email.activityId} attempt ${attempt} refused (${result.error?.message ?? ''}); not before ${new Date(retryAt).toISOString()}`,
      );
      return null;
    }
    if (now - issuedAt > ttlMs / 10) {
      this.stats.claimsLate += 1;
      if (this.pending.has(email.activityId)) this.notBefore.set(email.activityId, now + 1_000);
      this.logger.warn(`claim of ${email.activityId} came back after ${now - issuedAt} ms; not sending now`);
      return null;
    }
    return claimUntil;
  }

  private async record(email: OutgoingEmail, attempt: number, outcome: SendOutcome): Promise<void> {
    await this.gateway.sendCommand<ActivityCommand>('activity', email.activityId, {
      type: 'RecordSendOutcome',
      activityId: email.activityId,
      commandId: stableId('send-outcome', email.activityId, String(attempt)),
      actor: this.options.actor,
      issuedAt: new Date(this.options.now()).toISOString(),
      attempt,
      outcome,
      claimant: this.claimant,
      ...(this.options.retryDelayMinutes !== undefined
        ? { policy: { ...SEND_RETRY_POLICY, retryDelayMinutes: this.options.retryDelayMinutes } }
        : {}),
    });
  }
}

/** A failed send as an outcome: connection set-up problems are permanent; Exchange errors by their class. */
function failure(error: unknown): SendOutcome {
  if (error instanceof ConnectionSetupError)
    return { kind: 'Failed', transient: false, reason: error.message };
  const e = normalizeExchangeError(error);
  return { kind: 'Failed', transient: errorClass(e.code) !== 'permanent', reason: `${e.code}: ${e.message}` };
}
