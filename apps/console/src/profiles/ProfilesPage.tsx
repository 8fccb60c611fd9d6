import { useEffect } from 'react';
import { unwrap } from '../api/client';
import { useApi } from '../api/context';
import { Link, navigate } from '../router';
import { profilePath } from '../routes';
import { Field } from '../ui/Field';
import { ListTable, LoadMore } from '../ui/ListTable';
import { ProblemNotice } from '../ui/Notice';
import { useCursorList } from '../ui/use-cursor-list';
import { AUTHENTICATE_USING_LABELS } from './profile-form';

const VIEWS = { Active: 'Active Email Server Profiles', Inactive: 'Inactive Email Server Profiles' } as const;

/** Settings › Email Configuration › Email Server Profiles: the Active or the Inactive ones, by name. */
export function ProfilesPage({ view }: { view: 'Active' | 'Inactive' }) {
  const api = useApi();
  const page = (cursor?: string) =>
    unwrap(
      api.GET('/api/v1/email-server-profiles', {
        params: { query: { status: view, limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    );
  const list = useCursorList(view, page);
  useEffect(() => {
    document.title = `${VIEWS[view]} · ssync`;
  }, [view]);

  return (
    <>
      <h1 tabIndex={-1}>Email Server Profiles</h1>
      <div className="commands" role="toolbar" aria-label="Profile list commands">
        <details className="menu">
          <summary>New</summary>
          <Link to="/profiles/new">Exchange Server</Link>
        </details>
        <button type="button" onClick={list.reload}>
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
      <ProblemNotice problem={list.problem} />
      <ListTable
        caption={VIEWS[view]}
        columns={['Name', 'Server Type', 'Incoming Server Location', 'Authenticate Using', 'Owner']}
        // The table stands while the first page loads, without the "none" row.
        items={list.items ?? []}
        empty={list.items ? `No ${view.toLowerCase()} profiles.` : null}
        row={(p) => (
          <tr key={p.id}>
            <th scope="row">
              <Link to={profilePath(p.id)}>{p.name}</Link>
            </th>
            <td>Exchange Server</td>
            <td>{p.autoDiscoverServerLocation ? 'Auto Discover' : (p.incomingServerLocation ?? '')}</td>
            <td>{AUTHENTICATE_USING_LABELS[p.authenticateUsing]}</td>
            <td>{p.ownerId}</td>
          </tr>
        )}
      />
      <LoadMore cursor={list.cursor} onLoad={list.loadMore} />
    </>
  );
}
