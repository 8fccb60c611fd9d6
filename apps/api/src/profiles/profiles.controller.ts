import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { ApiConfig } from '@ssync/common';
import { ProfileView } from '@ssync/read-models';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { CommandRefused, ValidationFailed } from '../http/errors';
import {
  ApiCreatedOnce,
  ApiErrors,
  IdempotencyKeyHeader,
  IfMatchHeader,
  MinVersionHeader,
} from '../http/openapi';
import { requireAnyPrivilege } from '../http/privileges';
import { actorOf, checkId, idempotencyKeyHeader, versionHeader } from '../http/request-context';
import { API_CONFIG } from '../infrastructure/tokens';
import { BulkJobsService } from '../jobs/bulk-jobs.service';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { CreateProfileDto, DeactivateProfileDto, ListProfilesQuery, UpdateProfileDto } from './profile.dto';
import {
  ActivateProfile,
  CreateProfile,
  DeactivateProfile,
  ProfileOutcome,
  UpdateProfile,
} from './profile.commands';
import { GetProfile, ListProfiles } from './profile.queries';
import {
  DeactivatedEmailServerProfileBody,
  EmailServerProfileBody,
  EmailServerProfilePageBody,
  ProfileTestAndEnableStartedBody,
} from './profile.response';

const CREDENTIAL_FIELDS = ['userName', 'password', 'outgoingUserName', 'outgoingPassword'] as const;

@ApiTags('email-server-profiles')
@ApiErrors(401, 403, 503)
@Controller('api/v1/email-server-profiles')
export class ProfilesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly directory: MailboxDirectory,
    private readonly bulk: BulkJobsService,
  ) {}

  @Post(':id/test-and-enable')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Test & Enable every active mailbox of the profile (P-13): an asynchronous job with progress. Needs ProfileAdmin or EmailSettingsAdmin',
  })
  @ApiAcceptedResponse({
    type: ProfileTestAndEnableStartedBody,
    description: 'One job per 10,000 mailboxes: follow GET /api/v1/jobs/{jobId}',
  })
  @ApiErrors(400, 404, 409, 504)
  async testAndEnable(
    @Req() req: Request,
    @Param('id') id: string,
  ): Promise<ProfileTestAndEnableStartedBody> {
    // Every mailbox of the profile, whoever owns it: an administrator's act, not a mailbox writer's (issue #14).
    requireAnyPrivilege(req, Privilege.ProfileAdmin, Privilege.EmailSettingsAdmin);
    const profileId = checkId('id', id);
    const mailboxIds = this.directory.activeOnProfile(profileId);
    if (mailboxIds.length === 0) {
      // A profile that is not there is a 404 (GetProfile says so); one without mailboxes, its state: 409.
      await this.queries.execute(new GetProfile(profileId));
      throw new CommandRefused({
        kind: 'conflict',
        message: 'the profile has no active mailboxes to test',
        violations: [
          { field: 'id', rule: 'hasMailboxes', message: 'the profile has no active mailboxes to test' },
        ],
      });
    }
    const jobIds = await this.bulk.testAndEnableProfile(actorOf(req), profileId, mailboxIds);
    return { jobId: jobIds[0]!, jobIds, mailboxes: mailboxIds.length };
  }

  /** SPEC P-6: over plain HTTP, credentials are refused unless AllowCredentialsEntryViaNonSecureChannels is 1. */
  private checkChannel(req: Request, body: object): void {
    if (req.secure || this.config.allowCredentialsEntryViaNonSecureChannels) return;
    const given = CREDENTIAL_FIELDS.filter(
      (f) =>
        (body as Record<string, unknown>)[f] !== undefined && (body as Record<string, unknown>)[f] !== null,
    );
    if (given.length > 0) {
      throw new ValidationFailed(
        given.map((field) => ({
          field,
          rule: 'secureChannelRequired',
          message:
            'credentials can only be entered over HTTPS unless the deployment property AllowCredentialsEntryViaNonSecureChannels is 1',
        })),
      );
    }
  }

  private respond(res: Response, outcome: ProfileOutcome): ProfileView {
    res.setHeader('ETag', `"${outcome.view.version}"`);
    if (outcome.duplicate) res.setHeader('Idempotent-Replayed', 'true');
    if (outcome.reassignmentJobId) {
      res.setHeader('Ssync-Job-Id', outcome.reassignmentJobId);
      return { ...outcome.view, reassignmentJobId: outcome.reassignmentJobId } as ProfileView;
    }
    return outcome.view;
  }

  @Post()
  @RequirePrivileges(Privilege.ProfileAdmin)
  @ApiOperation({ summary: 'Create an Exchange email server profile' })
  @ApiCreatedOnce('profile', EmailServerProfileBody)
  @ApiErrors(400, 413, 415, 504)
  async create(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: CreateProfileDto,
    @IdempotencyKeyHeader('Retries with the same key create one profile') key?: string,
  ): Promise<ProfileView> {
    this.checkChannel(req, body);
    const outcome = await this.commands.execute<CreateProfile, ProfileOutcome>(
      new CreateProfile(actorOf(req), { ...body }, idempotencyKeyHeader(key)),
    );
    res.status(outcome.duplicate ? 200 : 201);
    res.setHeader('Location', `/api/v1/email-server-profiles/${outcome.view.id}`);
    return this.respond(res, outcome);
  }

  @Get()
  @ApiOperation({ summary: 'List profiles (filter, cursor paging)' })
  @ApiOkResponse({ type: EmailServerProfilePageBody, description: 'A page of profiles, by name' })
  @ApiErrors(400)
  list(@Req() req: Request, @Query() query: ListProfilesQuery): Promise<EmailServerProfilePageBody> {
    requireAnyPrivilege(req, Privilege.ProfileAdmin, Privilege.MailboxRead);
    return this.queries.execute(new ListProfiles(query));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A profile' })
  @ApiOkResponse({ type: EmailServerProfileBody, description: 'The profile; ETag is its version' })
  @ApiErrors(400, 404)
  async get(
    @Req() req: Request,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
    @MinVersionHeader() minVersion?: string,
  ): Promise<ProfileView> {
    requireAnyPrivilege(req, Privilege.ProfileAdmin, Privilege.MailboxRead);
    const view = await this.queries.execute<GetProfile, ProfileView>(
      new GetProfile(checkId('id', id), versionHeader('X-Min-Version', minVersion)),
    );
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }

  @Patch(':id')
  @RequirePrivileges(Privilege.ProfileAdmin)
  @ApiOperation({ summary: 'Change some settings of a profile' })
  @ApiOkResponse({ type: EmailServerProfileBody, description: 'The profile as changed; ETag is its version' })
  @ApiErrors(400, 404, 409, 413, 415, 504)
  async update(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Body() body: UpdateProfileDto,
    @IfMatchHeader('profile') ifMatch?: string,
  ): Promise<ProfileView> {
    this.checkChannel(req, body);
    const outcome = await this.commands.execute<UpdateProfile, ProfileOutcome>(
      new UpdateProfile(actorOf(req), checkId('id', id), { ...body }, versionHeader('If-Match', ifMatch)),
    );
    return this.respond(res, outcome);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @RequirePrivileges(Privilege.ProfileAdmin)
  @ApiOperation({ summary: 'Deactivate a profile (P-14: say where its mailboxes go)' })
  @ApiOkResponse({
    type: DeactivatedEmailServerProfileBody,
    description:
      'The profile, deactivated (already inactive: nothing changed); a job moving its mailboxes is named by reassignmentJobId and the Ssync-Job-Id header',
  })
  @ApiErrors(400, 404, 413, 415, 422, 504)
  async deactivate(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Body() body: DeactivateProfileDto,
  ): Promise<ProfileView> {
    const target = body.reassignMailboxesTo ? checkId('reassignMailboxesTo', body.reassignMailboxesTo) : null;
    return this.respond(
      res,
      await this.commands.execute(new DeactivateProfile(actorOf(req), checkId('id', id), target)),
    );
  }

  @Post(':id/activate')
  @HttpCode(200)
  @RequirePrivileges(Privilege.ProfileAdmin)
  @ApiOperation({ summary: 'Activate a deactivated profile' })
  @ApiOkResponse({
    type: EmailServerProfileBody,
    description: 'The profile, active (already active: nothing changed)',
  })
  @ApiErrors(400, 404, 504)
  async activate(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
  ): Promise<ProfileView> {
    return this.respond(
      res,
      await this.commands.execute(new ActivateProfile(actorOf(req), checkId('id', id))),
    );
  }
}
