/** Organization email configuration settings (SPEC O-1…O-3). */
export const INCOMING_EMAIL_DELIVERY_METHODS = [
  'None',
  'Outlook',
  'ServerSideSync',
  'ForwardMailbox',
] as const;
export type IncomingEmailDeliveryMethod = (typeof INCOMING_EMAIL_DELIVERY_METHODS)[number];

export const OUTGOING_EMAIL_DELIVERY_METHODS = ['None', 'Outlook', 'ServerSideSync'] as const;
export type OutgoingEmailDeliveryMethod = (typeof OUTGOING_EMAIL_DELIVERY_METHODS)[number];

/** Appointments, contacts and tasks. */
export const ACT_DELIVERY_METHODS = ['Outlook', 'ServerSideSync', 'None'] as const;
export type ActDeliveryMethod = (typeof ACT_DELIVERY_METHODS)[number];

export interface OrganizationEmailSettings {
  /** O-1: the default email server profile, or none yet. */
  defaultServerProfileId: string | null;
  /** O-2: only ServerSideSync is executed by this product; the other methods are recorded and shown. */
  incomingEmailDeliveryMethod: IncomingEmailDeliveryMethod;
  outgoingEmailDeliveryMethod: OutgoingEmailDeliveryMethod;
  actDeliveryMethod: ActDeliveryMethod;
  /** O-3: when true, a user's / queue's mailbox processes email only after Approve Email. */
  processEmailsOnlyForApprovedUsers: boolean;
  processEmailsOnlyForApprovedQueues: boolean;
}

export type OrganizationEmailSettingsPatch = Partial<OrganizationEmailSettings>;

/**
 * Defaults of an organization nobody has configured yet. Dynamics 365 creates new organizations with
 * "Server-Side Synchronization or Email Router" for incoming and outgoing email and for appointments, contacts
 * and tasks, and with both approval boxes checked; the seed page's own steps end in the same place. Server-side
 * sync is also the only method this product executes, so any other default would make a fresh install do
 * nothing. There is no default profile until an administrator names one.
 */
export const ORGANIZATION_EMAIL_DEFAULTS: OrganizationEmailSettings = {
  defaultServerProfileId: null,
  incomingEmailDeliveryMethod: 'ServerSideSync',
  outgoingEmailDeliveryMethod: 'ServerSideSync',
  actDeliveryMethod: 'ServerSideSync',
  processEmailsOnlyForApprovedUsers: true,
  processEmailsOnlyForApprovedQueues: true,
};

export const ORGANIZATION_EMAIL_FIELDS = [
  'defaultServerProfileId',
  'incomingEmailDeliveryMethod',
  'outgoingEmailDeliveryMethod',
  'actDeliveryMethod',
  'processEmailsOnlyForApprovedUsers',
  'processEmailsOnlyForApprovedQueues',
] as const satisfies readonly (keyof OrganizationEmailSettings)[];

export const SERVICE_DEPENDENCIES = ['kafka', 'mongodb'] as const;
export type ServiceDependency = (typeof SERVICE_DEPENDENCIES)[number];

/** A time a process could not reach a dependency and put its work off until it could again. */
export interface ServiceInterruption {
  dependency: ServiceDependency;
  /** The role and instance that saw it (each worker records its own). */
  role: string;
  instanceId: string;
  /** The first work put off, and the first work done again after it. */
  from: string;
  to: string;
  deferred: { polls: number; tests: number; sends: number };
}

/**
 * Interruptions go to a stream of their own next to the organization's settings, so that recording one does not
 * move the settings' version (their If-Match).
 */
export function serviceStreamId(organizationId: string): string {
  return `${organizationId}.service`;
}
