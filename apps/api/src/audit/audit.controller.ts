import { Controller, Get, NotFoundException, Param, Query, Req } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Request } from 'express';
import { MailboxEvent, MailboxState, mailboxDecider } from '@ssync/domain';
import { ActiveVersion, AuditDocument, ReadModels, mailboxViewFromState } from '@ssync/read-models';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ValidationFailed } from '../http/errors';
import { ApiErrors } from '../http/openapi';
import { requireAnyPrivilege } from '../http/privileges';
import { Reach, mailboxInReach, requestReach } from '../http/reach';
import { checkId } from '../http/request-context';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { AUDIT_PAGE, AuditPageQuery, MailboxAuditQuery } from './audit.dto';
import { AuditHistoryBody, MailboxAsOfBody } from './audit.response';

/**
 * SPEC A-3: the state as of a point in time, folded from the history with the aggregate's own `evolve`. It reads
 * the events in order and stops at the first one after `asOf`, so a long history is streamed, never held.
 */
export async function mailboxAsOf(
  events: Iterable<AuditDocument> | AsyncIterable<AuditDocument>,
  asOf: number,
): Promise<{ version: number; state: MailboxState; applied: number; read: number }> {
  let state = mailboxDecider.initialState();
  let version = 0;
  let applied = 0;
  let read = 0;
  for await (const e of events) {
    read += 1;
    if (Date.parse(e.occurredAt) > asOf) break;
    state = mailboxDecider.evolve(state, { type: e.type, data: e.payload } as MailboxEvent);
    version = e.sequence;
    applied += 1;
  }
  return { version, state, applied, read };
}

/** The cursor is the sequence of the last event returned: opaque to clients, a range start to the index. */
function afterSequence(after: string | undefined): number {
  if (after === undefined) return 0;
  if (!/^\d{1,15}$/.test(after))
    throw new ValidationFailed([
      { field: 'after', rule: 'cursor', message: 'is not a cursor this API returned' },
    ]);
  return Number(after);
}

function parseAsOf(asOf: string): number {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(asOf)
    ? Date.parse(asOf)
    : NaN;
  if (Number.isNaN(at))
    throw new ValidationFailed([
      { field: 'asOf', rule: 'isoDateTime', message: 'must be an ISO 8601 date-time with a time zone' },
    ]);
  return at;
}

const noHistory = (what: string, id: string) =>
  new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no history for ${what} ${id}` });

@ApiTags('audit')
@ApiErrors(401, 403, 503)
@Controller('api/v1/audit')
export class AuditController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
    private readonly directory: MailboxDirectory,
  ) {}

  /**
   * A mailbox out of the caller's reach (docs/adr/0020) answers as one with no history. Checked once the request
   * is known to be valid, where a missing mailbox is found, so the two cannot be told apart.
   */
  private requireInReach(reach: Reach, id: string): void {
    if (reach.kind !== 'organization' && !mailboxInReach(reach, this.directory.peek(id)))
      throw noHistory('mailbox', id);
  }

  private async models() {
    return this.readModels.at(await this.active.get());
  }

  /** A page of the history, oldest first; 404 when the aggregate has none at all. */
  private async page(
    aggregateType: 'profile' | 'mailbox',
    what: string,
    id: string,
    query: AuditPageQuery,
  ): Promise<AuditHistoryBody> {
    checkId('id', id);
    const after = afterSequence(query.after);
    const limit = query.limit ?? AUDIT_PAGE.default;
    const { audit } = await this.models();
    const docs = await audit
      .find({ aggregateType, aggregateId: id, sequence: { $gt: after } })
      .sort({ sequence: 1 })
      .limit(limit + 1)
      .lean<AuditDocument[]>()
      .exec();
    if (docs.length === 0 && (after === 0 || !(await audit.exists({ aggregateType, aggregateId: id }))))
      throw noHistory(what, id);
    const page = docs.slice(0, limit);
    return {
      aggregateId: id,
      events: page.map(({ _id, ...rest }) => ({ eventId: _id, ...rest })),
      nextCursor: docs.length > limit ? String(page[page.length - 1]!.sequence) : null,
    };
  }

  @Get('email-server-profiles/:id')
  @ApiOperation({ summary: "A profile's events in order (SPEC A-2); secrets redacted" })
  @ApiOkResponse({ type: AuditHistoryBody, description: 'A page of the events, oldest first' })
  @ApiErrors(400, 404)
  async profile(
    @Req() req: Request,
    @Param('id') id: string,
    @Query() query: AuditPageQuery,
  ): Promise<AuditHistoryBody> {
    requireAnyPrivilege(req, Privilege.ProfileAdmin, Privilege.MailboxRead);
    return this.page('profile', 'email server profile', id, query);
  }

  @Get('mailboxes/:id')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({
    summary:
      "A mailbox's events in order (A-2), or with ?asOf its state at that time (A-3); secrets redacted",
  })
  @ApiExtraModels(AuditHistoryBody, MailboxAsOfBody)
  @ApiOkResponse({
    description: 'A page of the events, oldest first; with asOf, the state and version at that time',
    schema: { oneOf: [{ $ref: getSchemaPath(AuditHistoryBody) }, { $ref: getSchemaPath(MailboxAsOfBody) }] },
  })
  @ApiErrors(400, 404)
  async mailbox(
    @Req() req: Request,
    @Param('id') id: string,
    @Query() query: MailboxAuditQuery,
  ): Promise<AuditHistoryBody | MailboxAsOfBody> {
    const reach = requestReach(req, Privilege.MailboxRead);
    if (query.asOf === undefined) {
      const page = await this.page('mailbox', 'mailbox', id, query);
      this.requireInReach(reach, id);
      return page;
    }
    const at = parseAsOf(query.asOf);
    // A state is not a page: a cursor or a page size with it is a mistake, said so rather than ignored.
    const paging = (['after', 'limit'] as const).filter((f) => query[f] !== undefined);
    if (paging.length > 0)
      throw new ValidationFailed(
        paging.map((field) => ({ field, rule: 'notWithAsOf', message: 'cannot be combined with asOf' })),
      );
    checkId('id', id);
    this.requireInReach(reach, id);
    const { audit } = await this.models();
    const events = audit
      .find({ aggregateType: 'mailbox', aggregateId: id })
      .sort({ sequence: 1 })
      .lean<AuditDocument>()
      .cursor({ batchSize: 200 });
    const { version, state, read } = await mailboxAsOf(events, at);
    if (read === 0) throw noHistory('mailbox', id);
    return {
      aggregateId: id,
      asOf: new Date(at).toISOString(),
      version,
      state: mailboxViewFromState(state, version),
    };
  }
}
