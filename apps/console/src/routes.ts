/** The console's pages; the path is the page, so a reload or a shared link shows the same one. */
export type Route =
  | { page: 'profiles'; view: 'Active' | 'Inactive' }
  | { page: 'new-profile' }
  | { page: 'profile'; id: string }
  | { page: 'email-settings' }
  | { page: 'mailboxes' }
  | { page: 'mailbox'; id: string }
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
  if (first === 'mailboxes' && second === undefined) return { page: 'mailboxes' };
  if (first === 'mailboxes' && second !== undefined && third === undefined)
    return { page: 'mailbox', id: second };
  return { page: 'not-found' };
}

export const profilePath = (id: string) => `/profiles/${encodeURIComponent(id)}`;
export const mailboxPath = (id: string) => `/mailboxes/${encodeURIComponent(id)}`;
