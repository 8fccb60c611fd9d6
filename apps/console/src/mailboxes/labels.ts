import type { Schemas } from '../api/client';

/** The seed's words for each value the API names; one place, so a list, a filter and a form read alike. */

// O-2: only server-side synchronization is carried out by ssync; the other methods are recorded and shown.
export const INCOMING_LABELS: Record<Schemas['IncomingEmailDeliveryMethod'], string> = {
  None: 'None',
  Outlook: 'Outlook',
  ServerSideSync: 'Server-Side Synchronization or Email Router',
  ForwardMailbox: 'Forward Mailbox',
};
export const OUTGOING_LABELS: Record<Schemas['OutgoingEmailDeliveryMethod'], string> = {
  None: 'None',
  Outlook: 'Outlook',
  ServerSideSync: 'Server-Side Synchronization or Email Router',
};
export const ACT_LABELS: Record<Schemas['ActDeliveryMethod'], string> = {
  Outlook: 'Outlook',
  ServerSideSync: 'Server-Side Synchronization',
  None: 'None',
};
export const TEST_STATUS_LABELS: Record<Schemas['MailboxTestStatus'], string> = {
  NotRun: 'Not Run',
  Success: 'Success',
  Failure: 'Failure',
};
export const APPROVAL_LABELS: Record<Schemas['EmailAddressStatus'], string> = {
  Empty: 'Empty',
  PendingApproval: 'Pending Approval',
  Approved: 'Approved',
  Rejected: 'Rejected',
};
export const KIND_LABELS: Record<Schemas['MailboxKind'], string> = { User: 'User', Queue: 'Queue' };

/** A time the API gave, in the browser's locale; '—' for none. */
export const timeText = (at: string | null): string => (at ? new Date(at).toLocaleString() : '—');
