import { Logger } from '@nestjs/common';
import { ActivityState, Mailbox, OutgoingEmail } from '@ssync/domain';
import { ExchangeConnection, errorClass, normalizeExchangeError, sendMail } from '@ssync/exchange';
import { KafkaCommandGateway } from '@ssync/messaging';
import { MailboxOwner } from '../mailbox-owner';
import { ConnectionSetupError } from './connection-spec';
import { stableId } from './ids';

/** Where the sender finds queued emails: the activity aggregates this worker follows. */
export interface ActivitySource {
  entries(): IterableIterator<[string, { state: ActivityState }]>;
  get(activityId: string): { state: ActivityState };
  subscribe(listener: (envelope: { aggregateId: string }, snapshot: { state: ActivityState }) => void): void;
}

const isPending = (state: ActivityState): boolean =>
  state.kind === 'Outgoing' && state.email.status === 'PendingSend';

/**
 * Outgoing email (S-3): every PendingSend activity of a mailbox this worker owns is sent once with SendAndSaveCopy
 * and its outcome recorded. Exactly once across crashes: the message carries the activity id (an extended property
 * and a derived Internet Message-ID), and before sending the worker looks for it in Sent Items / Outbox, so a worker
 * that died after Exchange accepted the message but before the outcome was recorded does not send it again.
 */
export class OutgoingSender {
  private readonly logger = new Logger('OutgoingSender');
  private readonly inFlight = new Set<string>();
  /** Activities waiting to be sent, kept as events arrive: a tick looks at these, not at every activity ever seen. */
  private readonly pending = new Set<string>();
  readonly stats = { sent: 0, alreadySent: 0, failed: 0 };

  constructor(
    private readonly owner: MailboxOwner,
    private readonly activities: ActivitySource,
    private readonly gateway: KafkaCommandGateway,
    private readonly connect: (mailbox: Mailbox, direction: 'outgoing') => Promise<ExchangeConnection>,
    private readonly options: {
      actor: string;
      concurrency: number;
      now: () => number;
      handoverGraceMs: number;
    },
  ) {
    activities.subscribe(({ aggregateId }, { state }) => {
      if (isPending(state)) this.pending.add(aggregateId);
      else this.pending.delete(aggregateId);
    });
    for (const [id, { state }] of activities.entries()) if (isPending(state)) this.pending.add(id);
  }

  /** Starts the sends that are due; returns their promises (the runtime tracks them for shutdown). */
  due(): Promise<void>[] {
    const now = this.options.now();
    const started: Promise<void>[] = [];
    for (const [id, { state }] of this.activities.entries()) {
      if (this.inFlight.size >= this.options.concurrency) break;
      if (state.kind !== 'Outgoing' || state.email.status !== 'PendingSend' || this.inFlight.has(id))
        continue;
      const email = state.email;
      if (email.nextAttemptAt !== null && Date.parse(email.nextAttemptAt) > now) continue;
      if (!this.owner.owns(email.mailboxId)) continue;
      // A mailbox that just came from another worker may have a send of that worker still in flight (past its own
      // ownership check, not yet in Sent Items). Wait one request timeout before looking in Sent Items and sending.
      const since = this.owner.ownedSince(email.mailboxId);
      if (since === undefined || now - since < this.options.handoverGraceMs) continue;
      this.inFlight.add(id);
      started.push(
        this.send(email)
          .catch((error: unknown) =>
            this.logger.error(`send ${id}: ${error instanceof Error ? error.message : String(error)}`),
          )
          .finally(() => this.inFlight.delete(id)),
      );
    }
    return started;
  }

  private async send(email: OutgoingEmail): Promise<void> {
    const attempt = email.attempts + 1;
    const record = (
      outcome:
        | { kind: 'Sent'; exchangeItemId: string; internetMessageId: string; sentAt: string }
        | { kind: 'Failed'; reason: string; transient: boolean },
    ) =>
      this.gateway.sendCommand('activity', email.activityId, {
        type: 'RecordSendOutcome',
        activityId: email.activityId,
        commandId: stableId('send-outcome', email.activityId, String(attempt)),
        actor: this.options.actor,
        issuedAt: new Date(this.options.now()).toISOString(),
        attempt,
        outcome,
      });
    const snapshot = this.owner.mailboxes.get(email.mailboxId).state;
    if (
      snapshot.status !== 'Active' ||
      snapshot.mailbox.outgoingEmailDeliveryMethod !== 'ServerSideSync' ||
      !snapshot.mailbox.enabledForOutgoingEmail
    ) {
      await record({
        kind: 'Failed',
        transient: false,
        reason:
          'MailboxNotEnabledForOutgoingEmail: the mailbox is not enabled for outgoing email by server-side synchronization',
      });
      this.stats.failed += 1;
      return;
    }
    try {
      const conn = await this.connect(snapshot.mailbox, 'outgoing');
      // Connecting may have waited for a connection slot; if the mailbox moved to another worker meanwhile, that
      // worker sends it (it looks in Sent Items first), and sending here too could send it twice.
      if (!this.owner.owns(email.mailboxId)) return;
      const sent = await sendMail(conn, {
        to: email.to,
        cc: email.cc,
        subject: email.subject,
        body: email.body,
        bodyType: email.bodyType,
        clientMessageId: email.activityId,
      });
      if (sent.alreadySent) this.stats.alreadySent += 1;
      else this.stats.sent += 1;
      await record({
        kind: 'Sent',
        exchangeItemId: sent.itemId ?? '',
        internetMessageId: sent.internetMessageId ?? '',
        sentAt: new Date(this.options.now()).toISOString(),
      });
    } catch (error) {
      this.stats.failed += 1;
      if (error instanceof ConnectionSetupError) {
        await record({ kind: 'Failed', transient: false, reason: error.message });
        return;
      }
      const e = normalizeExchangeError(error);
      await record({
        kind: 'Failed',
        transient: errorClass(e.code) !== 'permanent',
        reason: `${e.code}: ${e.message}`,
      });
    }
  }
}
