import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { ProfileCommand, ProfileSettingsPatch, ProfileState } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { ProfileView, profileViewFromState } from '@ssync/read-models';
import { SecretBox } from '@ssync/security';
import { CommandRefused } from '../http/errors';

/** Input as the API received it, plain-text secrets included; they are sealed before anything leaves. */
export type ProfileInput = Record<string, unknown> & {
  password?: string | null;
  outgoingPassword?: string | null;
};

export interface ProfileOutcome {
  view: ProfileView;
  duplicate: boolean;
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
      if (typeof value === 'string') patch[field] = this.secrets.seal(value, `profile:${profileId}:${field}`);
    }
    return patch;
  }

  protected async run(
    actor: string,
    profileId: string,
    command: ProfileCommand,
    expectedVersion?: number,
  ): Promise<ProfileOutcome> {
    const result = await this.gateway.send<ProfileCommand, ProfileState>({
      aggregateType: 'profile',
      aggregateId: profileId,
      type: command.type,
      actor,
      command,
      commandId: command.commandId,
      issuedAt: command.issuedAt,
      ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    });
    if (!result.accepted || result.error)
      throw new CommandRefused(result.error ?? { kind: 'malformed', message: 'refused', violations: [] });
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
    return this.run(actor, ids.profileId, command);
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
    return this.run(actor, profileId, command, expectedVersion);
  }
}

@CommandHandler(DeactivateProfile)
export class DeactivateProfileHandler
  extends ProfileHandler
  implements ICommandHandler<DeactivateProfile, ProfileOutcome>
{
  execute({ actor, profileId, reassignMailboxesTo }: DeactivateProfile): Promise<ProfileOutcome> {
    // Mailboxes arrive with issue #3; until then no profile has any.
    const command: ProfileCommand = {
      type: 'DeactivateProfile',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      profileId,
      associatedMailboxCount: 0,
      reassignMailboxesTo,
    };
    return this.run(actor, profileId, command);
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
    return this.run(actor, profileId, command);
  }
}

export const PROFILE_COMMAND_HANDLERS = [
  CreateProfileHandler,
  UpdateProfileHandler,
  DeactivateProfileHandler,
  ActivateProfileHandler,
];
