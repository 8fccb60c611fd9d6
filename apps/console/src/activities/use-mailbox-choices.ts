import { type Mailbox, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { type Loaded, useLoad } from '../ui/use-load';

/**
 * The active mailboxes by name, for a filter or the From of a new email: the API's largest page (500). An
 * organization with more finds the rest from a mailbox's own page, which links here with the mailbox chosen.
 */
export function useMailboxChoices(): Loaded<Mailbox[]> {
  const api = useApi();
  return useLoad('mailbox-choices', async () => {
    const page = await unwrap(
      api.GET('/api/v1/mailboxes', { params: { query: { status: 'Active', sort: 'name', limit: 500 } } }),
    );
    return page.items;
  });
}

/** A mailbox as a choice reads: its name and address. */
export const mailboxLabel = (m: Pick<Mailbox, 'name' | 'emailAddress'>): string =>
  m.emailAddress ? `${m.name} <${m.emailAddress}>` : m.name;
