import { AnchorHTMLAttributes, MouseEvent, useSyncExternalStore } from 'react';
import { Route, routeOf } from './routes';

const listeners = new Set<() => void>();
const subscribe = (listener: () => void) => {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
};
const address = () => `${window.location.pathname}${window.location.search}`;

export function useRoute(): Route {
  const at = useSyncExternalStore(subscribe, address);
  const url = new URL(at, window.location.origin);
  return routeOf(url.pathname, url.search);
}

/** Goes to a page of the app; `state` rides along in the history entry (e.g. the version a page must show). */
export function navigate(to: string, options: { replace?: boolean; state?: unknown } = {}): void {
  if (options.replace) window.history.replaceState(options.state ?? null, '', to);
  else window.history.pushState(options.state ?? null, '', to);
  for (const listener of listeners) listener();
}

/** A link inside the app: a real <a href>, so it opens in a new tab too, without a page load otherwise. */
export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const follow = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}
