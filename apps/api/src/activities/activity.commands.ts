import { HttpStatus, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { ACTIVITY_LIMITS, ActivityCommand, ActivityState, rules } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { CommandRefused, ValidationFailed, acceptedOrThrow } from '../http/errors';
import { Reach, WHOLE_ORGANIZATION, mailboxInReach } from '../http/reach';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { QueueEmailDto } from './activity.dto';
import { EmailActivityView, outgoingViewFromState } from './activity.view';

export class QueueEmail {
  constructor(
    readonly actor: string,
    readonly input: QueueEmailDto,
    readonly idempotencyKey?: string,
    /** Whose mailboxes the caller may send from (MailboxWrite's depth); one out of reach is answered as missing. */
    readonly reach: Reach = WHOLE_ORGANIZATION,
  ) {}
}

export interface QueueEmailOutcome {
  view: EmailActivityView;
  duplicate: boolean;
}

/** Same actor + same Idempotency-Key → same ids: a retried request queues one email. */
function idsFromKey(actor: string, key: string): { activityId: string; commandId: string } {
  const h = createHash('sha256').update(`email-activity\u0000${actor}\u0000${key}`).digest('hex');
  const uuid = (s: string) =>
    `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
  return { activityId: uuid(h), commandId: uuid(h.slice(32)) };
}

/**
 * S-3: an email queued for sending. The API checks what only it can see — the addresses and the mailbox (it must
 * exist and be active, from the mailbox directory) — then the activity's owner (a sync worker) records it as
 * PendingSend; the worker that owns the mailbox sends it.
 */
@CommandHandler(QueueEmail)
export class QueueEmailHandler implements ICommandHandler<QueueEmail, QueueEmailOutcome> {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly directory: MailboxDirectory,
  ) {}

  async execute({ actor, input, idempotencyKey, reach }: QueueEmail): Promise<QueueEmailOutcome> {
    const cc = input.cc ?? [];
    // Counted before any address is read (issue #14): too many is one violation, not one per address.
    if (input.to.length + cc.length > ACTIVITY_LIMITS.recipients)
      throw new ValidationFailed([
        {
          field: cc.length > 0 ? 'cc' : 'to',
          rule: 'maxItems',
          message: `to and cc together must have at most ${ACTIVITY_LIMITS.recipients} addresses; they have ${input.to.length + cc.length}`,
        },
      ]);
    const violations = [
      ...input.to.flatMap((a, i) => rules.smtpAddress(`to[${i}]`, a)),
      ...cc.flatMap((a, i) => rules.smtpAddress(`cc[${i}]`, a)),
    ];
    if (input.to.length === 0)
      violations.push({ field: 'to', rule: 'minItems', message: 'must name at least one recipient' });
    if (violations.length > 0) throw new ValidationFailed(violations);

    const mailbox = mailboxInReach(reach, await this.directory.get(input.mailboxId));
    if (!mailbox) {
      const message = `mailbox ${input.mailboxId} does not exist`;
      throw new NotFoundException({
        statusCode: HttpStatus.NOT_FOUND,
        error: 'Not Found',
        message: `mailboxId: ${message}`,
        violations: [{ field: 'mailboxId', rule: 'mailboxExists', message }],
      });
    }
    if (mailbox.status !== 'Active') {
      const message = `mailbox ${input.mailboxId} is deactivated and cannot send email`;
      throw new UnprocessableEntityException({
        statusCode: HttpStatus.UNPROCESSABLE_ENTITY,
        error: 'Unprocessable Entity',
        message: `mailboxId: ${message}`,
        violations: [{ field: 'mailboxId', rule: 'mailboxActive', message }],
      });
    }

    const ids = idempotencyKey
      ? idsFromKey(actor, idempotencyKey)
      : { activityId: randomUUID(), commandId: randomUUID() };
    const command: ActivityCommand = {
      type: 'QueueOutgoingEmail',
      commandId: ids.commandId,
      actor,
      issuedAt: new Date().toISOString(),
      activityId: ids.activityId,
      mailboxId: input.mailboxId,
      from: mailbox.emailAddress,
      to: [...input.to],
      cc: [...cc],
      subject: input.subject,
      body: input.body,
      bodyType: input.bodyType ?? 'HTML',
    };
    const result = await this.gateway.sendCommand<ActivityCommand, ActivityState>(
      'activity',
      ids.activityId,
      command,
    );
    acceptedOrThrow(result);
    const view = result.state ? outgoingViewFromState(result.state, result.version, input.body) : null;
    if (!view)
      throw new CommandRefused({
        kind: 'conflict',
        message: `activity ${ids.activityId} is not an outgoing email`,
        violations: [],
      });
    return { view, duplicate: result.duplicate || result.events.length === 0 };
  }
}

export const ACTIVITY_COMMAND_HANDLERS = [QueueEmailHandler];
