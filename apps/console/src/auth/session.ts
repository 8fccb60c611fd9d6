/**
 * The console signs in with the API's own bearer tokens (issue #13). A sign-in link carries the token in the URL's
 * fragment (`/#token=…`), which a browser never sends to a server; the app takes it into sessionStorage at once and
 * removes it from the address bar, so it is in no request, no history entry and no bookmark.
 */
const TOKEN_KEY = 'ssync.console.token';

export type SessionWindow = Pick<Window, 'location' | 'history' | 'sessionStorage'>;

export function tokenFromFragment(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim();
  return token ? token : null;
}

/** Signs in with a token from the fragment, if there is one, and takes the fragment off the address. */
export function adoptFragmentToken(w: SessionWindow): void {
  const token = tokenFromFragment(w.location.hash);
  if (token === null) return;
  w.sessionStorage.setItem(TOKEN_KEY, token);
  w.history.replaceState(w.history.state, '', `${w.location.pathname}${w.location.search}`);
}

export function storedToken(w: SessionWindow): string | null {
  return w.sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(w: SessionWindow, token: string): void {
  w.sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function signOut(w: SessionWindow): void {
  w.sessionStorage.removeItem(TOKEN_KEY);
}
