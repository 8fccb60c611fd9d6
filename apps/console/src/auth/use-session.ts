import { useEffect, useState } from 'react';
import { type Api, type ApiProblem, type Session, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { asProblem } from '../ui/use-load';

// One request per sign-in: the token says who the user is, and that does not change while it lives.
const sessions = new WeakMap<Api, Promise<Session>>();

function sessionOf(api: Api): Promise<Session> {
  let pending = sessions.get(api);
  if (!pending) {
    pending = unwrap(api.GET('/api/v1/session'));
    sessions.set(api, pending);
    // A failed read is asked again next time, not remembered.
    pending.catch(() => sessions.delete(api));
  }
  return pending;
}

/** Who the API says the token is (GET /api/v1/session): the console never reads the token itself. */
export function useSession(): { session: Session | null; problem: ApiProblem | null } {
  const api = useApi();
  const [session, setSession] = useState<Session | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    let current = true;
    sessionOf(api).then(
      (s) => current && setSession(s),
      (e: unknown) => current && setProblem(asProblem(e)),
    );
    return () => {
      current = false;
    };
  }, [api]);
  return { session, problem };
}
