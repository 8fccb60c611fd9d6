import { type MailboxView, mailboxSearchOf, mailboxViewOf } from './mailboxes/mailbox-url';

/** The console's pages; the path is the page, so a reload or a shared link shows the same one. */
export type Route =
  | { page: 'profiles'; view: 'Active' | 'Inactive' }
  | { page: 'new-profile' }
  | { page: 'profile'; id: string }
  | { page: 'email-settings' }
  | { page: 'mailboxes'; view: MailboxView }
  | { page: 'mailbox'; id: string }
  | { page: 'alerts' }
  | { page: 'activities'; mailboxId: string | null }
  | { page: 'new-activity'; mailboxId: string | null }
  | { page: 'activity'; id: string }
  | { page: 'not-found' };

export function routeOf(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0 || (first === 'profiles' && parts.length === 1))
    return {
      page: 'profiles',
      view: new URLSearchParams(search).get('view') === 'Inactive' ? 'Inactive' : 'Active',
    };
  if (first === 'profiles' && second === 'new' && third === undefined) return { page: 'new-profile' };
  if (first === 'profiles' && second !== undefined && third === undefined)
    return { page: 'profile', id: second };
  if (first === 'settings' && second === 'email' && third === undefined) return { page: 'email-settings' };
  if (first === 'mailboxes' && second === undefined)
    return { page: 'mailboxes', view: mailboxViewOf(search) };
  if (first === 'mailboxes' && second !== undefined && third === undefined)
    return { page: 'mailbox', id: second };
  if (first === 'alerts' && second === undefined) return { page: 'alerts' };
  if (first === 'email-activities' && third === undefined) {
    const mailboxId = new URLSearchParams(search).get('mailboxId') || null;
    if (second === undefined) return { page: 'activities', mailboxId };
    return second === 'new' ? { page: 'new-activity', mailboxId } : { page: 'activity', id: second };
  }
  return { page: 'not-found' };
}

export const profilePath = (id: string) => `/profiles/${encodeURIComponent(id)}`;
/** The Active Mailboxes list with its filters, sort and page size. */
export const mailboxesPath = (view: MailboxView) => `/mailboxes${mailboxSearchOf(view)}`;
export const mailboxPath = (id: string) => `/mailboxes/${encodeURIComponent(id)}`;
export const activityPath = (id: string) => `/email-activities/${encodeURIComponent(id)}`;
/** The New Email form, with its From chosen when it is opened from a mailbox. */
export const newEmailPath = (mailboxId: string | null) =>
  mailboxId ? `/email-activities/new?mailboxId=${encodeURIComponent(mailboxId)}` : '/email-activities/new';
