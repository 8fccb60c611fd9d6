import { useEffect, useState } from 'react';
import { unwrap } from '../api/client';
import { useApi } from '../api/context';
import { useSession } from '../auth/use-session';
import { Link } from '../router';
import { onAlertsChanged } from './alerts-changed';

/** The nav's Alerts entry with the number of active alerts on the user's wall; read again on each page change. */
export function AlertsNavLink({ current, page }: { current: boolean; page: string }) {
  const api = useApi();
  const { session } = useSession();
  const [count, setCount] = useState<number | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => onAlertsChanged(() => setRound((r) => r + 1)), []);
  const userId = session?.userId;
  useEffect(() => {
    if (userId === undefined) return;
    let live = true;
    unwrap(
      api.GET('/api/v1/users/{userId}/alerts', {
        params: { path: { userId }, query: { dismissed: 'false' } },
      }),
    ).then(
      (wall) => live && setCount(wall.items.length),
      // The count is a hint: without it the link still leads to the wall, which says what went wrong.
      () => live && setCount(null),
    );
    return () => {
      live = false;
    };
  }, [api, userId, page, round]);
  return (
    <Link to="/alerts" aria-current={current ? 'page' : undefined}>
      Alerts
      {count !== null && count > 0 && (
        <>
          {' '}
          <span className="count" aria-hidden="true">
            {count}
          </span>
          <span className="visually-hidden"> ({count} active)</span>
        </>
      )}
    </Link>
  );
}
