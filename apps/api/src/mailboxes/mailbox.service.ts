import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { MailboxCommand, MailboxProfileFacts, MailboxState, mailboxProfileFacts } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import {
  ActiveVersion,
  MAILBOX_SORT_KEYS,
  MailboxDocument,
  MailboxView,
  ReadModels,
  mailboxViewFromState,
} from '@ssync/read-models';
import { SecretBox } from '@ssync/security';
import { CommandRefused, ValidationFailed } from '../http/errors';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { ListMailboxesQuery, MailboxSort, ProvisionMailboxDto, UpdateMailboxDto } from './mailbox.dto';

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

interface Cursor {
  s: MailboxSort;
  v: string;
  i: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function toMailboxView(doc: MailboxDocument): MailboxView {
  const {
    _id,
    nameLower: _n,
    emailLower: _e,
    createdAt: _c,
    updatedAt: _u,
    updatedBy: _b,
    sync: _s,
    ...view
  } = doc;
  // Older documents (before sync fields existed) read as "never synced".
  return {
    ...view,
    id: _id,
    lastSyncAt: view.lastSyncAt ?? null,
    nextSyncDueAt: view.nextSyncDueAt ?? null,
    lastSyncError: view.lastSyncError ?? null,
    itemsProcessedLastSync: view.itemsProcessedLastSync ?? 0,
    itemsFailedLastSync: view.itemsFailedLastSync ?? 0,
  };
}

@Injectable()
export class MailboxService {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly owners: AggregateOwnerService,
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
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

  async run(
    actor: string,
    mailboxId: string,
    command: MailboxCommand,
    expectedVersion?: number,
  ): Promise<MailboxOutcome> {
    const result = await this.gateway.send<MailboxCommand, MailboxState>({
      aggregateType: 'mailbox',
      aggregateId: mailboxId,
      type: command.type,
      actor,
      command,
      commandId: command.commandId,
      issuedAt: command.issuedAt,
      ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    });
    if (!result.accepted || result.error)
      throw new CommandRefused(result.error ?? { kind: 'malformed', message: 'refused', violations: [] });
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
    return this.run(actor, ids.mailboxId, command);
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
    return this.run(actor, mailboxId, command, expectedVersion);
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
        password: this.secrets.seal(credentials.password, `mailbox:${mailboxId}:password`),
      },
      // The owner fills this in from the mailbox's profile as it stands when the command is decided.
      profileAuthenticateUsing: null,
    };
    return this.run(actor, mailboxId, command);
  }

  deactivate(actor: string, mailboxId: string): Promise<MailboxOutcome> {
    return this.run(actor, mailboxId, {
      type: 'DeactivateMailbox',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      mailboxId,
    });
  }

  /** With `minVersion`, waits briefly for the projection to reach it: a client reads its own writes. */
  async get(mailboxId: string, minVersion?: number): Promise<MailboxView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      const doc = await models.mailboxes.findById(mailboxId).lean<MailboxDocument>().exec();
      if (doc && (minVersion === undefined || doc.version >= minVersion)) return toMailboxView(doc);
      if (minVersion === undefined || Date.now() > deadline) {
        if (!doc)
          throw new NotFoundException({
            statusCode: 404,
            error: 'Not Found',
            message: `mailbox ${mailboxId} does not exist`,
          });
        return toMailboxView(doc);
      }
      await sleep(25);
    }
  }

  /** M-2: the Active Mailboxes list. Every filter is an equality on an indexed field; paging is by cursor. */
  async list(query: ListMailboxesQuery): Promise<{ items: MailboxView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const sort: MailboxSort = query.sort ?? 'name';
    const descending = sort.startsWith('-');
    const key = MAILBOX_SORT_KEYS[sort.replace(/^-/, '') as keyof typeof MAILBOX_SORT_KEYS];
    const and: Record<string, unknown>[] = [{ status: query.status ?? 'Active' }];
    for (const field of [
      'serverProfileId',
      'kind',
      'ownerId',
      'emailAddressStatus',
      'mailboxStatus',
      'incomingEmailStatus',
      'outgoingEmailStatus',
      'actStatus',
    ] as const) {
      const value = query[field];
      if (value !== undefined) and.push({ [field]: value });
    }
    for (const field of ['enabledForIncomingEmail', 'enabledForOutgoingEmail', 'enabledForAct'] as const) {
      const value = query[field];
      if (value !== undefined) and.push({ [field]: value === 'true' });
    }
    if (query.q) {
      const text = escapeRegex(query.q.toLowerCase());
      and.push({ $or: [{ nameLower: { $regex: text } }, { emailLower: { $regex: text } }] });
    }
    if (query.cursor) {
      const c = decodeCursor(query.cursor, sort);
      const op = descending ? '$lt' : '$gt';
      and.push({ $or: [{ [key]: { [op]: c.v } }, { [key]: c.v, _id: { [op]: c.i } }] });
    }
    const direction = descending ? -1 : 1;
    const models = this.readModels.at(await this.active.get());
    const docs = await models.mailboxes
      .find(and.length === 1 ? and[0]! : { $and: and })
      .sort({ [key]: direction, _id: direction })
      .limit(limit + 1)
      .lean<MailboxDocument[]>()
      .exec();
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      docs.length > limit && last
        ? Buffer.from(
            JSON.stringify({
              s: sort,
              v: sortValue(last, key),
              i: last._id,
            }),
          ).toString('base64url')
        : null;
    return { items: page.map(toMailboxView), nextCursor };
  }
}

function sortValue(doc: MailboxDocument, key: string): string {
  const value = (doc as unknown as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : '';
}

function decodeCursor(cursor: string, sort: MailboxSort): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.v === 'string' && typeof c.i === 'string' && c.s === sort) return c;
  } catch {
    // fall through
  }
  throw new ValidationFailed([
    { field: 'cursor', rule: 'cursor', message: 'is not a cursor this API returned for this sort' },
  ]);
}
