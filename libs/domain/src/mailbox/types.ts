import { SealedSecret } from '../shared/decider';
import {
  ActDeliveryMethod,
  IncomingEmailDeliveryMethod,
  OutgoingEmailDeliveryMethod,
} from '../organization/types';

/** Mailboxes of users and queues (SPEC M-1…M-8). */
export const MAILBOX_KINDS = ['User', 'Queue'] as const;
export type MailboxKind = (typeof MAILBOX_KINDS)[number];

export const EMAIL_ADDRESS_STATUSES = ['Empty', 'PendingApproval', 'Approved', 'Rejected'] as const;
export type EmailAddressStatus = (typeof EMAIL_ADDRESS_STATUSES)[number];

/** Incoming / Outgoing / ACT status and the overall Mailbox Status. */
export const MAILBOX_TEST_STATUSES = ['NotRun', 'Success', 'Failure'] as const;
export type MailboxTestStatus = (typeof MAILBOX_TEST_STATUSES)[number];

/** The three things Test & Enable tests (M-6): incoming email, outgoing email, appointments/contacts/tasks. */
export const MAILBOX_AREAS = ['incomingEmail', 'outgoingEmail', 'act'] as const;
export type MailboxArea = (typeof MAILBOX_AREAS)[number];

/** How the sync worker classifies an error (S-6): transient errors are retried, permanent ones disable. */
export const ERROR_CLASSES = ['Transient', 'Permanent'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Only used when the mailbox's profile authenticates with "Credentials Specified by a User or Queue". */
export interface MailboxCredentials {
  userName: string;
  password: SealedSecret;
}

/** What an administrator sets on a mailbox (UpdateMailbox). */
export interface MailboxSettings {
  name: string;
  emailAddress: string | null;
  ownerId: string;
  serverProfileId: string | null;
  incomingEmailDeliveryMethod: IncomingEmailDeliveryMethod;
  outgoingEmailDeliveryMethod: OutgoingEmailDeliveryMethod;
  actDeliveryMethod: ActDeliveryMethod;
  /** M-8: take the Exchange mailbox over for appointments/contacts/tasks even if another org claimed it. */
  syncOnlyFromThisOrg: boolean;
}

export type MailboxSettingsPatch = Partial<MailboxSettings>;

export const MAILBOX_FIELDS = [
  'name',
  'emailAddress',
  'ownerId',
  'serverProfileId',
  'incomingEmailDeliveryMethod',
  'outgoingEmailDeliveryMethod',
  'actDeliveryMethod',
  'syncOnlyFromThisOrg',
] as const satisfies readonly (keyof MailboxSettings)[];

/** What "Edit (Change Multiple Records)" and "Apply Default Email Settings" may set (M-3, M-4). */
export const BULK_EDIT_FIELDS = [
  'serverProfileId',
  'incomingEmailDeliveryMethod',
  'outgoingEmailDeliveryMethod',
  'actDeliveryMethod',
] as const satisfies readonly (keyof MailboxSettings)[];
export type BulkEditPatch = Partial<Pick<MailboxSettings, (typeof BULK_EDIT_FIELDS)[number]>>;

/**
 * A new mailbox does nothing until it is given a profile and methods (Apply Default Email Settings or Edit, as
 * the seed page's "Configure mailboxes" steps do); a handler that wants Dynamics' auto-association passes the
 * organization defaults in the ProvisionMailbox settings.
 */
export const MAILBOX_DEFAULTS = {
  emailAddress: null,
  serverProfileId: null,
  incomingEmailDeliveryMethod: 'None',
  outgoingEmailDeliveryMethod: 'None',
  actDeliveryMethod: 'None',
  syncOnlyFromThisOrg: false,
} as const satisfies Partial<MailboxSettings>;

/** Outcome of Test & Enable and the state of a test in progress. */
export interface MailboxTestState {
  incomingEmailStatus: MailboxTestStatus;
  incomingEmailStatusReason: string | null;
  outgoingEmailStatus: MailboxTestStatus;
  outgoingEmailStatusReason: string | null;
  actStatus: MailboxTestStatus;
  actStatusReason: string | null;
  mailboxStatus: MailboxTestStatus;
  mailboxStatusReason: string | null;
  enabledForIncomingEmail: boolean;
  enabledForOutgoingEmail: boolean;
  enabledForAct: boolean;
  /**
   * A test was requested and has no final outcome yet (first run or a scheduled retry). The statuses keep the
   * last known outcome meanwhile (see decider.ts).
   */
  testPending: boolean;
  /** The pending or last test (the RequestTest command id); results for another test are stale. */
  testId: string | null;
  testRequestedAt: string | null;
  /** The areas the pending attempt tests. */
  testAreas: MailboxArea[];
  /** 0 for the first run, n for the n-th transient retry. */
  testAttempt: number;
  /** When the worker should run the next retry. */
  nextTestAttemptAt: string | null;
}

export interface Mailbox extends MailboxSettings, MailboxTestState {
  mailboxId: string;
  kind: MailboxKind;
  emailAddressStatus: EmailAddressStatus;
  credentials: MailboxCredentials | null;
}

/** Which mailbox fields belong to each area. */
export const AREA_FIELDS = {
  incomingEmail: {
    method: 'incomingEmailDeliveryMethod',
    status: 'incomingEmailStatus',
    reason: 'incomingEmailStatusReason',
    enabled: 'enabledForIncomingEmail',
  },
  outgoingEmail: {
    method: 'outgoingEmailDeliveryMethod',
    status: 'outgoingEmailStatus',
    reason: 'outgoingEmailStatusReason',
    enabled: 'enabledForOutgoingEmail',
  },
  act: {
    method: 'actDeliveryMethod',
    status: 'actStatus',
    reason: 'actStatusReason',
    enabled: 'enabledForAct',
  },
} as const satisfies Record<
  MailboxArea,
  {
    method: keyof MailboxSettings;
    status: keyof MailboxTestState;
    reason: keyof MailboxTestState;
    enabled: keyof MailboxTestState;
  }
>;

/**
 * The areas this version synchronizes, so the only ones Test & Enable tests and enables. Appointments, contacts and
 * tasks (S-4) are not synchronized yet: a test reports that area not run, with {@link ACT_NOT_SYNCHRONIZED}, and the
 * mailbox status follows the areas that are.
 */
export const SYNCHRONIZED_AREAS: readonly MailboxArea[] = ['incomingEmail', 'outgoingEmail'];

export const ACT_NOT_SYNCHRONIZED =
  'NotSynchronized: appointments, contacts and tasks are not synchronized by this version of ssync (S-4), so this area is neither tested nor enabled';

export interface TestRetryPolicy {
  /** Transient failures retried this many times before they count as permanent. */
  maxTransientRetries: number;
  retryDelayMinutes: number;
}

/** SPEC M-6 defaults: transient errors retried up to 10 times, 5 minutes apart, then treated as permanent. */
export const TEST_RETRY_POLICY: TestRetryPolicy = { maxTransientRetries: 10, retryDelayMinutes: 5 };

/**
 * Reasons Test & Enable fails without reaching Exchange: the mailbox cannot work as configured, so the domain
 * fails the test itself (permanent: retrying would not help).
 */
export const PREFLIGHT_FAILURES = {
  EmailAddressEmpty: 'EmailAddressEmpty: the mailbox has no email address',
  EmailAddressNotApproved:
    'EmailAddressNotApproved: the organization processes email only for approved mailboxes; approve the email address first',
  NoServerProfile: 'NoServerProfile: the mailbox has no email server profile',
  ServerProfileNotFound: 'ServerProfileNotFound: the email server profile of the mailbox does not exist',
  ServerProfileInactive: 'ServerProfileInactive: the email server profile of the mailbox is deactivated',
  CredentialsMissing:
    'CredentialsMissing: the profile uses credentials specified by a user or queue, and the mailbox has none',
} as const;
