import type { Schemas } from '../api/client';

type Changes = Schemas['BulkEditChangesDto'];

/** The Change Multiple Records form: '' leaves a field as each mailbox has it. */
export interface BulkEditForm {
  serverProfileId: string;
  incomingEmailDeliveryMethod: '' | NonNullable<Changes['incomingEmailDeliveryMethod']>;
  outgoingEmailDeliveryMethod: '' | NonNullable<Changes['outgoingEmailDeliveryMethod']>;
  actDeliveryMethod: '' | NonNullable<Changes['actDeliveryMethod']>;
}

export const UNCHANGED: BulkEditForm = {
  serverProfileId: '',
  incomingEmailDeliveryMethod: '',
  outgoingEmailDeliveryMethod: '',
  actDeliveryMethod: '',
};

/** M-4: what POST /api/v1/mailboxes/bulk-edit is sent: only the fields the administrator set. */
export function bulkEditChanges(form: BulkEditForm): Changes {
  const changes: Changes = {};
  if (form.serverProfileId) changes.serverProfileId = form.serverProfileId;
  if (form.incomingEmailDeliveryMethod)
    changes.incomingEmailDeliveryMethod = form.incomingEmailDeliveryMethod;
  if (form.outgoingEmailDeliveryMethod)
    changes.outgoingEmailDeliveryMethod = form.outgoingEmailDeliveryMethod;
  if (form.actDeliveryMethod) changes.actDeliveryMethod = form.actDeliveryMethod;
  return changes;
}
