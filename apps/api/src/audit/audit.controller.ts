import { Controller, Get, NotFoundException, Param, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { MailboxEvent, MailboxState, mailboxDecider } from '@ssync/domain';
import {
  ActiveVersion,
  AuditDocument,
  MailboxView,
  ReadModels,
  mailboxViewFromState,
} from '@ssync/read-models';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ValidationFailed } from '../http/errors';
import { ApiErrors } from '../http/openapi';
import { requireAnyPrivilege } from '../http/privileges';
import { mailboxInReach, requestReach } from '../http/reach';
import { checkId } from '../http/request-context';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';

type AuditEntry = Omit<AuditDocument, '_id'> & { eventId: string };

/** SPEC A-3: the state as of a point in time, folded from the history with the aggregate's own `evolve`. */
export function mailboxAsOf(
  events: AuditDocument[],
  asOf: number,
): { version: number; state: MailboxState; applied: number } {
  let state = mailboxDecider.initialState();
  let version = 0;
  let applied = 0;
  for (const e of events) {
    if (Date.parse(e.occurredAt) > asOf) break;
    state = mailboxDecider.evolve(state, { type: e.type, data: e.payload } as MailboxEvent);
    version = e.sequence;
    applied += 1;
  }
  return { version, state, applied };
}

@ApiTags('audit')
@ApiErrors(401, 403, 503)
@Controller('api/v1/audit')
export class AuditController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
    private readonly directory: MailboxDirectory,
  ) {}

  private async history(aggregateType: string, id: string): Promise<AuditDocument[]> {
    const models = this.readModels.at(await this.active.get());
    return models.audit
      .find({ aggregateType, aggregateId: checkId('id', id) })
      .sort({ sequence: 1 })
      .lean<AuditDocument[]>()
      .exec();
  }

  @Get('email-server-profiles/:id')
  @ApiOperation({ summary: "A profile's events in order (SPEC A-2); secrets redacted" })
  @ApiOkResponse({ description: 'The events, oldest first' })
  @ApiErrors(400, 404)
  async profile(
    @Req() req: Request,
    @Param('id') id: string,
  ): Promise<{ aggregateId: string; events: AuditEntry[] }> {
    requireAnyPrivilege(req, Privilege.ProfileAdmin, Privilege.MailboxRead);
    const docs = await this.history('profile', id);
    if (docs.length === 0)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `no history for email server profile ${id}`,
      });
    return { aggregateId: id, events: docs.map(({ _id, ...rest }) => ({ eventId: _id, ...rest })) };
  }

  @Get('mailboxes/:id')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({
    summary:
      "A mailbox's events in order (A-2), or with ?asOf its state at that time (A-3); secrets redacted",
  })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO 8601 date-time, e.g. 2026-01-31T10:00:00Z' })
  @ApiOkResponse({ description: 'The events, oldest first; with asOf, the state and version at that time' })
  @ApiErrors(400, 404)
  async mailbox(
    @Req() req: Request,
    @Param('id') id: string,
    @Query('asOf') asOf?: string,
  ): Promise<
    | { aggregateId: string; events: AuditEntry[] }
    | { aggregateId: string; asOf: string; version: number; state: MailboxView | null }
  > {
    let at: number | null = null;
    if (asOf !== undefined) {
      at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(asOf)
        ? Date.parse(asOf)
        : NaN;
      if (Number.isNaN(at))
        throw new ValidationFailed([
          { field: 'asOf', rule: 'isoDateTime', message: 'must be an ISO 8601 date-time with a time zone' },
        ]);
    }
    const docs = await this.history('mailbox', id);
    // A mailbox out of the caller's reach (docs/adr/0020) answers as one with no history.
    const reach = requestReach(req, Privilege.MailboxRead);
    if (
      docs.length === 0 ||
      (reach.kind !== 'organization' && !mailboxInReach(reach, this.directory.peek(id)))
    )
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `no history for mailbox ${id}`,
      });
    if (at === null)
      return { aggregateId: id, events: docs.map(({ _id, ...rest }) => ({ eventId: _id, ...rest })) };
    const { version, state } = mailboxAsOf(docs, at);
    return {
      aggregateId: id,
      asOf: new Date(at).toISOString(),
      version,
      state: mailboxViewFromState(state, version),
    };
  }
}
