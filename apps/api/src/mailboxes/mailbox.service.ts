import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { MailboxCommand, MailboxProfileFacts, MailboxState, mailboxProfileFacts } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { MailboxView, mailboxViewFromState } from '@ssync/read-models';
import { SecretBox, credentialSealContext } from '@ssync/security';
import { CommandRefused, acceptedOrThrow } from '../http/errors';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { Reach, mailboxInReach } from '../http/reach';
import { MailboxDirectory } from './mailbox-directory.service';
import { ListMailboxesQuery, ProvisionMailboxDto, UpdateMailboxDto } from './mailbox.dto';

export interface MailboxOutcome {
  view: MailboxView;
  duplicate: boolean;
}

/** Same actor + same Idempotency-Key → same ids: a retried provision has no second effect. */
function idsFromKey(actor: string, key: string): { mailboxId: string; commandId: string } {
  const h = createHash('sha256').update(`mailbox\u0000${actor}\u0000${key}`).digest('hex');
  const uuid = (s: string) =>
    `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
  return { mailboxId: uuid(h), commandId: uuid(h.slice(32)) };
}

@Injectable()
export class MailboxService {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly owners: AggregateOwnerService,
    private readonly directory: MailboxDirectory,
    @Inject(SecretBox) private readonly secrets: SecretBox,
  ) {}

  /** Facts about a profile a command names (authoritative: the API follows the profile events). */
  profileFacts(profileId: string): MailboxProfileFacts {
    return mailboxProfileFacts(this.owners.profileStore.get(profileId).state);
  }

  private factsFor(profileId: string | null | undefined): { serverProfile?: MailboxProfileFacts } {
    return typeof profileId === 'string' && profileId.trim() !== ''
      ? { serverProfile: this.profileFacts(profileId.trim()) }
      : {};
  }

  async run(mailboxId: string, command: MailboxCommand, expectedVersion?: number): Promise<MailboxOutcome> {
    const result = await this.gateway.sendCommand<MailboxCommand, MailboxState>(
      'mailbox',
      mailboxId,
      command,
      expectedVersion,
    );
    acceptedOrThrow(result);
    const view = result.state ? mailboxViewFromState(result.state, result.version) : null;
    if (!view)
      throw new CommandRefused({
        kind: 'not-found',
        message: `mailbox ${mailboxId} does not exist`,
        violations: [],
      });
    return { view, duplicate: result.duplicate };
  }

  provision(actor: string, input: ProvisionMailboxDto, idempotencyKey?: string): Promise<MailboxOutcome> {
    const ids = idempotencyKey
      ? idsFromKey(actor, idempotencyKey)
      : { mailboxId: randomUUID(), commandId: randomUUID() };
    const { kind, ...given } = input;
    // A DTO property not sent is undefined; it must not hide the defaults below.
    const settings = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Omit<
      ProvisionMailboxDto,
      'kind'
    >;
    const command: MailboxCommand = {
      type: 'ProvisionMailbox',
      commandId: ids.commandId,
      actor,
      issuedAt: new Date().toISOString(),
      mailboxId: ids.mailboxId,
      kind,
      settings: { ownerId: actor, ...settings },
      ...this.factsFor(settings.serverProfileId),
    };
    return this.run(ids.mailboxId, command);
  }

  update(
    actor: string,
    mailboxId: string,
    input: UpdateMailboxDto,
    expectedVersion?: number,
  ): Promise<MailboxOutcome> {
    const command: MailboxCommand = {
      type: 'UpdateMailbox',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      mailboxId,
      changes: { ...input },
      ...this.factsFor(input.serverProfileId),
    };
    return this.run(mailboxId, command, expectedVersion);
  }

  setCredentials(
    actor: string,
    mailboxId: string,
    credentials: { userName: string; password: string },
  ): Promise<MailboxOutcome> {
    const command: MailboxCommand = {
      type: 'SetMailboxCredentials',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      mailboxId,
      credentials: {
        userName: credentials.userName,
        password: this.secrets.seal(
          credentials.password,
          credentialSealContext('mailbox', mailboxId, 'password'),
        ),
      },
      // The owner fills this in from the mailbox's profile as it stands when the command is decided.
      profileAuthenticateUsing: null,
    };
    return this.run(mailboxId, command);
  }

  deactivate(actor: string, mailboxId: string): Promise<MailboxOutcome> {
    return this.run(mailboxId, {
      type: 'DeactivateMailbox',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      mailboxId,
    });
  }

  /**
   * With `minVersion`, waits briefly for that version: a client reads its own writes. A mailbox out of `reach`
   * is answered as a missing one.
   */
  async get(mailboxId: string, reach: Reach, minVersion?: number): Promise<MailboxView> {
    const view = mailboxInReach(reach, await this.directory.get(mailboxId, minVersion));
    if (!view)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `mailbox ${mailboxId} does not exist`,
      });
    return view;
  }

  /**
   * Before a command on one mailbox: at user depth, a mailbox out of reach is refused exactly as its writer
   * refuses a missing one. The directory may lag a provision by a moment, so an unknown id is waited for (as
   * bulk jobs do); at organization depth the writer alone decides.
   */
  async requireInReach(mailboxId: string, reach: Reach): Promise<void> {
    if (reach.kind === 'organization') return;
    if ((await this.directory.unknown([mailboxId], reach)).length > 0)
      throw new CommandRefused({
        kind: 'not-found',
        message: `mailbox ${mailboxId} does not exist`,
        violations: [],
      });
  }

  /** M-2: the Active Mailboxes list; `ownerId` null: nothing in reach. */
  list(
    query: ListMailboxesQuery,
    ownerId: string | null | undefined,
  ): { items: MailboxView[]; nextCursor: string | null } {
    if (ownerId === null) return { items: [], nextCursor: null };
    return this.directory.list(ownerId === undefined ? query : { ...query, ownerId });
  }
}
