import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  applyDecorators,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { ApiConfig } from '@ssync/common';
import { MailboxView } from '@ssync/read-models';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ValidationFailed } from '../http/errors';
import {
  ApiCreatedOnce,
  ApiErrors,
  ErrorStatus,
  IdempotencyKeyHeader,
  IfMatchHeader,
  MinVersionHeader,
} from '../http/openapi';
import { requirePrivileges } from '../http/privileges';
import { ownerFilter, requestReach, requireOwnable } from '../http/reach';
import { actorOf, checkId, idempotencyKeyHeader, versionHeader } from '../http/request-context';
import { API_CONFIG } from '../infrastructure/tokens';
import { ApplyDefaultSettingsDto, BulkEditDto, BulkMailboxesDto } from '../jobs/bulk.dto';
import { BulkJobsService } from '../jobs/bulk-jobs.service';
import {
  ADMIN_FIELDS,
  ListMailboxesQuery,
  MailboxCredentialsDto,
  ProvisionMailboxDto,
  UpdateMailboxDto,
} from './mailbox.dto';
import { BulkJobStartedBody } from '../jobs/job.response';
import { MailboxBody, MailboxPageBody } from './mailbox.response';
import { MailboxOutcome, MailboxService } from './mailbox.service';

/** M-7: a profile or a delivery method on a mailbox is also an email settings matter. */
function requireAdminFor(req: Request, body: object): void {
  const given = ADMIN_FIELDS.filter((f) => (body as Record<string, unknown>)[f] !== undefined);
  if (given.length > 0) requirePrivileges(req, Privilege.EmailSettingsAdmin);
}

/**
 * M-3…M-6: the whole request is checked before the job starts; ids that name no mailbox, or one out of the
 * caller's reach (docs/adr/0020), are a 422. A job starts under a new id, so its own aggregate refuses nothing in
 * its state: a 409 comes only from what a route checks besides, named in `alsoAnswers`.
 */
const ApiBulkJob = (...alsoAnswers: ErrorStatus[]) =>
  applyDecorators(
    ApiAcceptedResponse({
      type: BulkJobStartedBody,
      description: 'The job started: follow GET /api/v1/jobs/{jobId}',
    }),
    ApiErrors(400, 413, 415, 422, 504, ...alsoAnswers),
  );

@ApiTags('mailboxes')
@ApiErrors(401, 403, 503)
@Controller('api/v1/mailboxes')
export class MailboxesController {
  constructor(
    private readonly mailboxes: MailboxService,
    private readonly bulk: BulkJobsService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  private respond(res: Response, outcome: MailboxOutcome): MailboxView {
    res.setHeader('ETag', `"${outcome.view.version}"`);
    if (outcome.duplicate) res.setHeader('Idempotent-Replayed', 'true');
    return outcome.view;
  }

  @Post()
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({ summary: 'Provision a user or queue mailbox (M-1)' })
  @ApiCreatedOnce('mailbox', MailboxBody)
  @ApiErrors(400, 413, 415, 422, 504)
  async provision(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: ProvisionMailboxDto,
    @IdempotencyKeyHeader('Retries with the same key provision one mailbox') key?: string,
  ): Promise<MailboxView> {
    requireAdminFor(req, body);
    requireOwnable(requestReach(req, Privilege.MailboxWrite), body.ownerId);
    const outcome = await this.mailboxes.provision(actorOf(req), { ...body }, idempotencyKeyHeader(key));
    res.status(outcome.duplicate ? 200 : 201);
    res.setHeader('Location', `/api/v1/mailboxes/${outcome.view.id}`);
    return this.respond(res, outcome);
  }

  @Get()
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({ summary: 'Active Mailboxes (M-2): filter, sort, cursor paging' })
  @ApiOkResponse({ type: MailboxPageBody, description: 'A page of mailboxes' })
  @ApiErrors(400)
  list(@Req() req: Request, @Query() query: ListMailboxesQuery): MailboxPageBody {
    return this.mailboxes.list(query, ownerFilter(requestReach(req, Privilege.MailboxRead), query.ownerId));
  }

  @Post('apply-default-settings')
  @HttpCode(202)
  @RequirePrivileges(Privilege.MailboxWrite, Privilege.EmailSettingsAdmin)
  @ApiOperation({
    summary: 'Apply Default Email Settings (M-3), then Test & Enable unless testAndEnable=false',
  })
  // 409 while the organization has no default email server profile to apply.
  @ApiBulkJob(409)
  async applyDefaults(
    @Req() req: Request,
    @Body() body: ApplyDefaultSettingsDto,
  ): Promise<{ jobId: string }> {
    return {
      jobId: await this.bulk.applyDefaultSettings(
        actorOf(req),
        body.mailboxIds,
        body.testAndEnable ?? true,
        requestReach(req, Privilege.MailboxWrite),
      ),
    };
  }

  @Post('bulk-edit')
  @HttpCode(202)
  @RequirePrivileges(Privilege.MailboxWrite, Privilege.EmailSettingsAdmin)
  @ApiOperation({ summary: 'Edit — Change Multiple Records (M-4): profile and delivery methods' })
  @ApiBulkJob()
  async bulkEdit(@Req() req: Request, @Body() body: BulkEditDto): Promise<{ jobId: string }> {
    return {
      jobId: await this.bulk.bulkEdit(
        actorOf(req),
        body.mailboxIds,
        { ...body.changes },
        requestReach(req, Privilege.MailboxWrite),
      ),
    };
  }

  @Post('approve-email')
  @HttpCode(202)
  @RequirePrivileges(Privilege.ApproveEmail)
  @ApiOperation({ summary: 'Approve Email (M-5)' })
  @ApiBulkJob()
  async approve(@Req() req: Request, @Body() body: BulkMailboxesDto): Promise<{ jobId: string }> {
    const reach = requestReach(req, Privilege.ApproveEmail);
    return { jobId: await this.bulk.simple(actorOf(req), body.mailboxIds, 'ApproveEmail', reach) };
  }

  @Post('reject-email')
  @HttpCode(202)
  @RequirePrivileges(Privilege.ApproveEmail)
  @ApiOperation({ summary: 'Reject Email' })
  @ApiBulkJob()
  async reject(@Req() req: Request, @Body() body: BulkMailboxesDto): Promise<{ jobId: string }> {
    const reach = requestReach(req, Privilege.ApproveEmail);
    return { jobId: await this.bulk.simple(actorOf(req), body.mailboxIds, 'RejectEmail', reach) };
  }

  @Post('test-and-enable')
  @HttpCode(202)
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({
    summary: 'Test & Enable Mailboxes (M-6): records the request; the sync worker runs the test',
  })
  @ApiBulkJob()
  async testAndEnable(@Req() req: Request, @Body() body: BulkMailboxesDto): Promise<{ jobId: string }> {
    const reach = requestReach(req, Privilege.MailboxWrite);
    return { jobId: await this.bulk.simple(actorOf(req), body.mailboxIds, 'TestAndEnable', reach) };
  }

  @Post('deactivate')
  @HttpCode(202)
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({
    summary:
      'Deactivate mailboxes: each result says whether it was deactivated, already inactive, or refused and why',
  })
  @ApiBulkJob()
  async deactivateMany(@Req() req: Request, @Body() body: BulkMailboxesDto): Promise<{ jobId: string }> {
    // The single deactivate's privilege and reach: at user depth, only the caller's own mailboxes.
    const reach = requestReach(req, Privilege.MailboxWrite);
    return {
      jobId: await this.bulk.simple(actorOf(req), body.mailboxIds, 'DeactivateMailboxes', reach),
    };
  }

  @Get(':id')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({ summary: 'A mailbox' })
  @ApiOkResponse({ type: MailboxBody, description: 'The mailbox; ETag is its version' })
  @ApiErrors(400, 404)
  async get(
    @Req() req: Request,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
    @MinVersionHeader() minVersion?: string,
  ): Promise<MailboxView> {
    const view = await this.mailboxes.get(
      checkId('id', id),
      requestReach(req, Privilege.MailboxRead),
      versionHeader('X-Min-Version', minVersion),
    );
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }

  @Patch(':id')
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({ summary: 'Change some fields of a mailbox' })
  @ApiOkResponse({ type: MailboxBody, description: 'The mailbox as changed; ETag is its version' })
  @ApiErrors(400, 404, 409, 413, 415, 422, 504)
  async update(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Body() body: UpdateMailboxDto,
    @IfMatchHeader('mailbox') ifMatch?: string,
  ): Promise<MailboxView> {
    requireAdminFor(req, body);
    const reach = requestReach(req, Privilege.MailboxWrite);
    requireOwnable(reach, body.ownerId);
    await this.mailboxes.requireInReach(checkId('id', id), reach);
    const outcome = await this.mailboxes.update(
      actorOf(req),
      checkId('id', id),
      { ...body },
      versionHeader('If-Match', ifMatch),
    );
    return this.respond(res, outcome);
  }

  @Put(':id/credentials')
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({ summary: 'Mailbox credentials (profiles using credentials specified by a user or queue)' })
  @ApiOkResponse({ type: MailboxBody, description: 'The mailbox (never the password); ETag is its version' })
  @ApiErrors(400, 404, 409, 413, 415, 504)
  async credentials(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Body() body: MailboxCredentialsDto,
  ): Promise<MailboxView> {
    await this.mailboxes.requireInReach(checkId('id', id), requestReach(req, Privilege.MailboxWrite));
    // SPEC P-6 applies to every credential entry.
    if (!req.secure && !this.config.allowCredentialsEntryViaNonSecureChannels)
      throw new ValidationFailed(
        ['userName', 'password'].map((field) => ({
          field,
          rule: 'secureChannelRequired',
          message:
            'credentials can only be entered over HTTPS unless the deployment property AllowCredentialsEntryViaNonSecureChannels is 1',
        })),
      );
    return this.respond(res, await this.mailboxes.setCredentials(actorOf(req), checkId('id', id), body));
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({ summary: 'Deactivate a mailbox' })
  @ApiOkResponse({
    type: MailboxBody,
    description: 'The mailbox, deactivated (already inactive: nothing changed)',
  })
  @ApiErrors(400, 404, 504)
  async deactivate(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
  ): Promise<MailboxView> {
    await this.mailboxes.requireInReach(checkId('id', id), requestReach(req, Privilege.MailboxWrite));
    return this.respond(res, await this.mailboxes.deactivate(actorOf(req), checkId('id', id)));
  }
}
