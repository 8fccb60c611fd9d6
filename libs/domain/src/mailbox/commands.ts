import { MailboxSyncCommand } from './sync';
import { CommandMeta, Reseal, SealedSecret } from '../shared/decider';
import { ProfileFacts } from '../shared/facts';
import { OrganizationEmailSettings } from '../organization/types';
import { AuthenticateUsing } from '../profile/types';
import {
  BulkEditPatch,
  ErrorClass,
  MailboxArea,
  MailboxKind,
  MailboxSettingsPatch,
  TestRetryPolicy,
} from './types';

/** Facts about a profile a mailbox uses or is about to use; the handler looks them up. */
export interface MailboxProfileFacts extends ProfileFacts {
  authenticateUsing: AuthenticateUsing;
}

/** Facts Test & Enable needs (M-6, O-3). */
export interface TestFacts {
  /** The organization's "process emails only for approved users" (User) or "… queues" (Queue) box. */
  approvalRequired: boolean;
}

/** What the sync worker found for one area. */
export type AreaTestResult =
  { outcome: 'Success' } | { outcome: 'Failure'; reason: string; errorClass: ErrorClass };

type M = CommandMeta & { mailboxId: string };

export type MailboxCommand =
  | (M & {
      type: 'ProvisionMailbox';
      kind: MailboxKind;
      /** name and ownerId are required; the rest take MAILBOX_DEFAULTS. */
      settings: MailboxSettingsPatch;
      /** Required when settings.serverProfileId names a profile. */
      serverProfile?: MailboxProfileFacts;
    })
  | (M & { type: 'UpdateMailbox'; changes: MailboxSettingsPatch; serverProfile?: MailboxProfileFacts })
  | (M & {
      type: 'SetMailboxCredentials';
      /** null clears them. The password is sealed before it reaches the domain. */
      credentials: { userName: string; password: SealedSecret } | null;
      /** authenticateUsing of the mailbox's profile, null when it has none. */
      profileAuthenticateUsing: AuthenticateUsing | null;
    })
  | (M &
      TestFacts & {
        type: 'ApplyDefaultEmailSettings';
        defaults: Pick<
          OrganizationEmailSettings,
          | 'defaultServerProfileId'
          | 'incomingEmailDeliveryMethod'
          | 'outgoingEmailDeliveryMethod'
          | 'actDeliveryMethod'
        >;
        /** Facts of defaults.defaultServerProfileId (when not null). */
        serverProfile?: MailboxProfileFacts;
        /** M-3: the mailboxes are tested and enabled by default; false only applies the settings. */
        testAndEnable?: boolean;
      })
  | (M & { type: 'BulkEditMailbox'; changes: BulkEditPatch; serverProfile?: MailboxProfileFacts })
  | (M & { type: 'ApproveEmail' })
  | (M & { type: 'RejectEmail' })
  | (M &
      TestFacts & {
        type: 'RequestTest';
        /** Facts of the mailbox's profile (when it has one). */
        serverProfile?: MailboxProfileFacts;
      })
  | (M & {
      type: 'RecordTestResult';
      /** The TestRequested.testId this result answers; results of an older test are ignored. */
      testId: string;
      /** The attempt this result answers (0 first, then 1…); a repeated or stale result is ignored. */
      attempt: number;
      /** One result per tested area (TestRequested.areas, or the areas of the scheduled retry). */
      results: Partial<Record<MailboxArea, AreaTestResult>>;
      /** Defaults to TEST_RETRY_POLICY. */
      policy?: TestRetryPolicy;
    })
  | (M &
      TestFacts & {
        type: 'ReassignProfile';
        /** P-14: only a mailbox still on this profile moves (so the process manager may repeat itself). */
        fromProfileId: string;
        toProfileId: string;
        toProfile: MailboxProfileFacts;
        /** Test & enable on the new profile (default true), so the moved mailboxes keep working. */
        testAndEnable?: boolean;
      })
  | (M & { type: 'DeactivateMailbox' })
  | (M & {
      type: 'ResealMailboxCredentials';
      /** The active key id: `password.to` is sealed with it (docs/adr/0019). */
      keyId: string;
      password: Reseal;
    })
  | MailboxSyncCommand;

export type MailboxCommandType = MailboxCommand['type'];
