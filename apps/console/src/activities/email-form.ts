import type { Schemas, Violation } from '../api/client';
import { sentence } from '../ui/violations';

/** The New Email form: one mailbox sends it (S-3), written as plain text. */
export interface EmailForm {
  mailboxId: string;
  to: string;
  cc: string;
  subject: string;
  body: string;
}

export const EMPTY_EMAIL: EmailForm = { mailboxId: '', to: '', cc: '', subject: '', body: '' };

/** Addresses as typed: separated by commas, semicolons (as Outlook writes them) or new lines. */
export function recipientsOf(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/**
 * What a queue request sends. The form's body is text: the console writes no HTML, so what is typed is what is
 * sent, and nothing typed can become markup in a recipient's mail.
 */
export function queueRequestOf(form: EmailForm): Schemas['QueueEmailDto'] {
  const cc = recipientsOf(form.cc);
  return {
    mailboxId: form.mailboxId,
    direction: 'Outgoing',
    to: recipientsOf(form.to),
    ...(cc.length > 0 ? { cc } : {}),
    subject: form.subject,
    body: form.body,
    bodyType: 'Text',
  };
}

/**
 * The API's violations by the form's fields: `to[2]` belongs under To, naming the address it means, since the
 * field holds them all. Violations of no field the form has are left for the notice above it.
 */
export function emailErrors(
  violations: readonly Violation[],
  form: EmailForm,
): { byField: Map<keyof EmailForm, string>; rest: Violation[] } {
  const byField = new Map<keyof EmailForm, string>();
  const rest: Violation[] = [];
  const lists = { to: recipientsOf(form.to), cc: recipientsOf(form.cc) };
  for (const v of violations) {
    const m = /^(mailboxId|to|cc|subject|body)(?:\[(\d+)\])?$/.exec(v.field);
    if (!m) {
      rest.push(v);
      continue;
    }
    const field = m[1] as keyof EmailForm;
    const address = m[2] !== undefined ? lists[field as 'to' | 'cc'][Number(m[2])] : undefined;
    const text = sentence(address !== undefined ? `"${address}" ${v.message}` : v.message);
    const before = byField.get(field);
    byField.set(field, before ? `${before} ${text}` : text);
  }
  return { byField, rest };
}

export const DIRECTION_LABELS: Record<Schemas['ActivityDirection'], string> = {
  Incoming: 'Incoming',
  Outgoing: 'Outgoing',
};

export const ACTIVITY_STATUS_LABELS: Record<Schemas['ActivityStatus'], string> = {
  Tracked: 'Tracked',
  PendingSend: 'Pending Send',
  Sent: 'Sent',
  Failed: 'Failed',
};
