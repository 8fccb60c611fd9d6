import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { ProfileCommand, ProfileSettingsPatch, ProfileState } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { ProfileView, profileViewFromState } from '@ssync/read-models';
import { SecretBox, credentialSealContext } from '@ssync/security';
import { CommandRefused, ValidationFailed, acceptedOrThrow } from '../http/errors';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { BulkJobsService } from '../jobs/bulk-jobs.service';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';

/** Input as the API received it, plain-text secrets included; they are sealed before anything leaves. */
export type ProfileInput = Record<string, unknown> & {
  password?: string | null;
  outgoingPassword?: string | null;
};

export interface ProfileOutcome {
  view: ProfileView;
  duplicate: boolean;
  /** P-14: the job moving the profile's mailboxes to another profile, when one was started. */
  reassignmentJobId?: string;
}

export class CreateProfile {
  constructor(
    readonly actor: string,
    readonly input: ProfileInput,
    readonly idempotencyKey?: string,
  ) {}
}
export class UpdateProfile {
  constructor(
    readonly actor: string,
    readonly profileId: string,
    readonly input: ProfileInput,
    readonly expectedVersion?: number,
  ) {}
}
export class DeactivateProfile {
  constructor(
    readonly actor: string,
    readonly profileId: string,
    readonly reassignMailboxesTo: string | null,
  ) {}
}
export class ActivateProfile {
  constructor(
    readonly actor: string,
    readonly profileId: string,
  ) {}
}

/** Same actor + same Idempotency-Key → same ids: a retried create has no second effect. */
function idsFromKey(actor: string, key: string): { profileId: string; commandId: string } {
  const h = createHash('sha256').update(`${actor}\u0000${key}`).digest('hex');
  const uuid = (s: string) =>
    `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
  return { profileId: uuid(h), commandId: uuid(h.slice(32)) };
}

abstract class ProfileHandler {
  constructor(
    protected readonly gateway: KafkaCommandGateway,
    @Inject(SecretBox) protected readonly secrets: SecretBox,
  ) {}

  protected seal(profileId: string, input: ProfileInput): ProfileSettingsPatch {
    const patch: Record<string, unknown> = { ...input };
    for (const field of ['password', 'outgoingPassword'] as const) {
      const value = input[field];
      if (typeof value === 'string')
        patch[field] = this.secrets.seal(value, credentialSealContext('profile', profileId, field));
    }
    return patch;
  }

  protected async run(
    profileId: string,
    command: ProfileCommand,
    expectedVersion?: number,
  ): Promise<ProfileOutcome> {
    const result = await this.gateway.sendCommand<ProfileCommand, ProfileState>(
      'profile',
      profileId,
      command,
      expectedVersion,
    );
    acceptedOrThrow(result);
    const view = result.state ? profileViewFromState(result.state, result.version) : null;
    if (!view)
      throw new CommandRefused({
        kind: 'not-found',
        message: `email server profile ${profileId} does not exist`,
        violations: [],
      });
    return { view, duplicate: result.duplicate };
  }
}

@CommandHandler(CreateProfile)
export class CreateProfileHandler
  extends ProfileHandler
  implements ICommandHandler<CreateProfile, ProfileOutcome>
{
  execute({ actor, input, idempotencyKey }: CreateProfile): Promise<ProfileOutcome> {
    const ids = idempotencyKey
      ? idsFromKey(actor, idempotencyKey)
      : { profileId: randomUUID(), commandId: randomUUID() };
    const command: ProfileCommand = {
      type: 'CreateProfile',
      commandId: ids.commandId,
      actor,
      issuedAt: new Date().toISOString(),
      profileId: ids.profileId,
      settings: this.seal(ids.profileId, input),
    };
    return this.run(ids.profileId, command);
  }
}

@CommandHandler(UpdateProfile)
export class UpdateProfileHandler
  extends ProfileHandler
  implements ICommandHandler<UpdateProfile, ProfileOutcome>
{
  execute({ actor, profileId, input, expectedVersion }: UpdateProfile): Promise<ProfileOutcome> {
    const command: ProfileCommand = {
      type: 'UpdateProfile',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      profileId,
      changes: this.seal(profileId, input),
    };
    return this.run(profileId, command, expectedVersion);
  }
}

@CommandHandler(DeactivateProfile)
export class DeactivateProfileHandler
  extends ProfileHandler
  implements ICommandHandler<DeactivateProfile, ProfileOutcome>
{
  constructor(
    gateway: KafkaCommandGateway,
    @Inject(SecretBox) secrets: SecretBox,
    private readonly owners: AggregateOwnerService,
    private readonly directory: MailboxDirectory,
    private readonly bulk: BulkJobsService,
  ) {
    super(gateway, secrets);
  }

  /**
   * P-14: the profile's active mailboxes (from the mailbox directory) must go somewhere. With a target, the
   * profile is deactivated first — from then on no mailbox can be assigned to it — and a ReassignProfile job moves
   * every mailbox still on it (each move is conditional on the mailbox still being there, so repeats are no-ops).
   */
  async execute({ actor, profileId, reassignMailboxesTo }: DeactivateProfile): Promise<ProfileOutcome> {
    const mailboxIds = this.directory.activeOnProfile(profileId);
    if (reassignMailboxesTo !== null && reassignMailboxesTo !== profileId && mailboxIds.length > 0) {
      const target = this.owners.profileStore.get(reassignMailboxesTo).state;
      if (target.status !== 'Active')
        throw new ValidationFailed([
          {
            field: 'reassignMailboxesTo',
            rule: target.status === 'None' ? 'profileExists' : 'profileActive',
            message: `email server profile ${reassignMailboxesTo} ${target.status === 'None' ? 'does not exist' : 'is deactivated'}`,
          },
        ]);
    }
    const command: ProfileCommand = {
      type: 'DeactivateProfile',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      profileId,
      associatedMailboxCount: mailboxIds.length,
      reassignMailboxesTo,
    };
    const outcome = await this.run(profileId, command);
    if (outcome.duplicate || mailboxIds.length === 0 || reassignMailboxesTo === null) return outcome;
    const jobId = await this.bulk.reassign(actor, mailboxIds, profileId, reassignMailboxesTo);
    return { ...outcome, reassignmentJobId: jobId };
  }
}

@CommandHandler(ActivateProfile)
export class ActivateProfileHandler
  extends ProfileHandler
  implements ICommandHandler<ActivateProfile, ProfileOutcome>
{
  execute({ actor, profileId }: ActivateProfile): Promise<ProfileOutcome> {
    const command: ProfileCommand = {
      type: 'ActivateProfile',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      profileId,
    };
    return this.run(profileId, command);
  }
}

export const PROFILE_COMMAND_HANDLERS = [
  CreateProfileHandler,
  UpdateProfileHandler,
  DeactivateProfileHandler,
  ActivateProfileHandler,
];
