import { Body, Controller, Get, Inject, Injectable, Put, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ApiConfig } from '@ssync/common';
import {
  ACT_DELIVERY_METHODS,
  ActDeliveryMethod,
  INCOMING_EMAIL_DELIVERY_METHODS,
  IncomingEmailDeliveryMethod,
  OUTGOING_EMAIL_DELIVERY_METHODS,
  OrganizationCommand,
  OrganizationEmailSettings,
  OrganizationState,
  OutgoingEmailDeliveryMethod,
  mailboxProfileFacts,
  organizationEmailSettingsOf,
} from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { ActiveVersion, OrganizationSettingsDocument, ReadModels } from '@ssync/read-models';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { CommandRefused } from '../http/errors';
import { ApiErrors, IfMatchHeader, MinVersionHeader, NON_BLANK } from '../http/openapi';
import { requireAnyPrivilege } from '../http/privileges';
import { actorOf, versionHeader } from '../http/request-context';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { API_CONFIG } from '../infrastructure/tokens';
import { OrganizationEmailSettingsBody } from './organization-settings.response';

const Given = () => ValidateIf((_o, v) => v !== undefined);

/** Organization email configuration settings (O-1…O-3); fields not given keep their value. */
export class OrganizationEmailSettingsDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: NON_BLANK,
    description: 'O-1: the default email server profile',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  defaultServerProfileId?: string | null;

  @ApiPropertyOptional({ enum: INCOMING_EMAIL_DELIVERY_METHODS })
  @Given()
  @IsIn(INCOMING_EMAIL_DELIVERY_METHODS, {
    message: `must be one of ${INCOMING_EMAIL_DELIVERY_METHODS.join(', ')}`,
  })
  incomingEmailDeliveryMethod?: IncomingEmailDeliveryMethod;

  @ApiPropertyOptional({ enum: OUTGOING_EMAIL_DELIVERY_METHODS })
  @Given()
  @IsIn(OUTGOING_EMAIL_DELIVERY_METHODS, {
    message: `must be one of ${OUTGOING_EMAIL_DELIVERY_METHODS.join(', ')}`,
  })
  outgoingEmailDeliveryMethod?: OutgoingEmailDeliveryMethod;

  @ApiPropertyOptional({ enum: ACT_DELIVERY_METHODS })
  @Given()
  @IsIn(ACT_DELIVERY_METHODS, { message: `must be one of ${ACT_DELIVERY_METHODS.join(', ')}` })
  actDeliveryMethod?: ActDeliveryMethod;

  @ApiPropertyOptional({ default: true })
  @Given()
  @IsBoolean()
  processEmailsOnlyForApprovedUsers?: boolean;

  @ApiPropertyOptional({ default: true })
  @Given()
  @IsBoolean()
  processEmailsOnlyForApprovedQueues?: boolean;
}

export type OrganizationSettingsView = OrganizationEmailSettings & { version: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

@Injectable()
export class OrganizationSettingsService {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly owners: AggregateOwnerService,
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** With `expectedVersion` (If-Match), refused as a conflict unless the settings are at that version. */
  async set(
    actor: string,
    changes: OrganizationEmailSettingsDto,
    expectedVersion?: number,
  ): Promise<OrganizationSettingsView> {
    const profileId = changes.defaultServerProfileId;
    const command: OrganizationCommand = {
      type: 'SetOrganizationEmailSettings',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      organizationId: this.config.orgId,
      changes: { ...changes },
      ...(typeof profileId === 'string' && profileId.trim() !== ''
        ? { defaultServerProfile: mailboxProfileFacts(this.owners.profileStore.get(profileId.trim()).state) }
        : {}),
    };
    const result = await this.gateway.sendCommand<OrganizationCommand, OrganizationState>(
      'organization',
      this.config.orgId,
      command,
      expectedVersion,
    );
    if (!result.accepted || result.error || !result.state)
      throw new CommandRefused(result.error ?? { kind: 'malformed', message: 'refused', violations: [] });
    return { ...organizationEmailSettingsOf(result.state), version: result.version };
  }

  /** From the read model; with `minVersion`, waits (≤5 s) for it. Version 0: nobody has saved them yet. */
  async get(minVersion?: number): Promise<OrganizationSettingsView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      const doc = await models.organizationSettings
        .findById(this.config.orgId)
        .lean<OrganizationSettingsDocument>()
        .exec();
      const version = doc?.version ?? 0;
      if (minVersion === undefined || version >= minVersion || Date.now() > deadline) {
        const defaults = organizationEmailSettingsOf({ status: 'Unset' });
        if (!doc) return { ...defaults, version: 0 };
        const { _id, updatedAt: _u, updatedBy: _b, version: v, ...settings } = doc;
        return { ...defaults, ...settings, version: v };
      }
      await sleep(25);
    }
  }
}

@ApiTags('organization')
@ApiErrors(401, 403, 503)
@Controller('api/v1/organization/email-settings')
export class OrganizationSettingsController {
  constructor(private readonly settings: OrganizationSettingsService) {}

  @Get()
  @ApiOperation({ summary: 'Organization email configuration settings (O-1…O-3)' })
  @ApiOkResponse({
    type: OrganizationEmailSettingsBody,
    description: 'The settings; version 0 until someone saves them. ETag is the version',
  })
  @ApiErrors(400)
  async get(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @MinVersionHeader() minVersion?: string,
  ): Promise<OrganizationSettingsView> {
    // Whoever reads mailboxes sees the defaults they get; whoever sets them may read them.
    requireAnyPrivilege(req, Privilege.MailboxRead, Privilege.EmailSettingsAdmin);
    const view = await this.settings.get(versionHeader('X-Min-Version', minVersion));
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }

  @Put()
  @RequirePrivileges(Privilege.EmailSettingsAdmin)
  @ApiOperation({ summary: 'Set the default profile, delivery methods and approval boxes' })
  @ApiOkResponse({
    type: OrganizationEmailSettingsBody,
    description: 'The settings as saved; ETag is their version',
  })
  @ApiErrors(400, 409, 413, 415, 422, 504)
  async put(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: OrganizationEmailSettingsDto,
    @IfMatchHeader('settings') ifMatch?: string,
  ): Promise<OrganizationSettingsView> {
    const view = await this.settings.set(actorOf(req), body, versionHeader('If-Match', ifMatch));
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }
}
