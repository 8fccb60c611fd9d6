import { useEffect, useState } from 'react';
import { type ApiProblem, type Profile, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { Link, navigate } from '../router';
import { profilePath } from '../routes';
import { Field } from '../ui/Field';
import { ProblemNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { AUTHENTICATE_USING_LABELS } from './profile-form';

const VIEWS = { Active: 'Active Email Server Profiles', Inactive: 'Inactive Email Server Profiles' } as const;

/** Settings › Email Configuration › Email Server Profiles: the Active or the Inactive ones, by name. */
export function ProfilesPage({ view }: { view: 'Active' | 'Inactive' }) {
  const api = useApi();
  const [more, setMore] = useState<{ items: Profile[]; cursor: string | null } | null>(null);
  const page = (cursor?: string) =>
    unwrap(
      api.GET('/api/v1/email-server-profiles', {
        params: { query: { status: view, limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    );
  const first = useLoad(view, () => page());
  useEffect(() => {
    document.title = `${VIEWS[view]} · ssync`;
    setMore(null);
  }, [view]);
  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await page(cursor);
      setMore({ items: [...(more?.items ?? []), ...next.items], cursor: next.nextCursor });
    } catch (e) {
      setProblem(asProblem(e));
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Email Server Profiles</h1>
      <div className="commands" role="toolbar" aria-label="Profile list commands">
        <details className="menu">
          <summary>New</summary>
          <Link to="/profiles/new">Exchange Server</Link>
        </details>
        <button
          type="button"
          onClick={() => {
            setMore(null);
            first.reload();
          }}
        >
          Refresh
        </button>
        <Field id="profiles-view" label="View">
          {(control) => (
            <select
              {...control}
              value={view}
              onChange={(e) =>
                navigate(e.target.value === 'Inactive' ? '/profiles?view=Inactive' : '/profiles')
              }
            >
              {Object.entries(VIEWS).map(([v, text]) => (
                <option key={v} value={v}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ProblemNotice problem={first.problem ?? problem} />
      <table>
        <caption>{VIEWS[view]}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Server Type</th>
            <th scope="col">Incoming Server Location</th>
            <th scope="col">Authenticate Using</th>
            <th scope="col">Owner</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.id}>
              <th scope="row">
                <Link to={profilePath(p.id)}>{p.name}</Link>
              </th>
              <td>Exchange Server</td>
              <td>{p.autoDiscoverServerLocation ? 'Auto Discover' : (p.incomingServerLocation ?? '')}</td>
              <td>{AUTHENTICATE_USING_LABELS[p.authenticateUsing]}</td>
              <td>{p.ownerId}</td>
            </tr>
          ))}
          {first.data && items.length === 0 && (
            <tr>
              <td colSpan={5}>No {view.toLowerCase()} profiles.</td>
            </tr>
          )}
        </tbody>
      </table>
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </>
  );
}
