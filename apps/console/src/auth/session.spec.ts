import { SessionWindow, adoptFragmentToken, signOut, storedToken, tokenFromFragment } from './session';

function browser(url: string): SessionWindow & { address: () => string } {
  let location = new URL(url);
  const storage = new Map<string, string>();
  return {
    get location() {
      return location as unknown as Location;
    },
    history: {
      state: null,
      replaceState: (_state: unknown, _unused: string, to: string) => {
        location = new URL(to, location);
      },
    } as unknown as History,
    sessionStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, v),
      removeItem: (k: string) => void storage.delete(k),
    } as unknown as Storage,
    address: () => location.toString(),
  };
}

describe('signing in with the token of a sign-in link (issue #13)', () => {
  it('keeps the token of the fragment and takes it off the address, leaving path and query', () => {
    const w = browser('http://127.0.0.1:3000/profiles?view=Inactive#token=dev-abc');
    adoptFragmentToken(w);
    expect(storedToken(w)).toBe('dev-abc');
    expect(w.address()).toBe('http://127.0.0.1:3000/profiles?view=Inactive');
  });

  it('leaves an address without a token alone', () => {
    const w = browser('http://127.0.0.1:3000/#section');
    adoptFragmentToken(w);
    expect([storedToken(w), w.address()]).toEqual([null, 'http://127.0.0.1:3000/#section']);
  });

  it('forgets the token on sign-out', () => {
    const w = browser('http://127.0.0.1:3000/#token=dev-abc');
    adoptFragmentToken(w);
    signOut(w);
    expect(storedToken(w)).toBeNull();
  });

  it.each([
    ['#token=', null],
    ['#token=%20', null],
    ['#token=a%2Bb', 'a+b'],
    ['', null],
  ])('reads %j as %j', (hash, token) => expect(tokenFromFragment(hash)).toBe(token));
});
