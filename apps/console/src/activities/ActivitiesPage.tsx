import { useEffect, useState } from 'react';
import { type Schemas, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { timeText } from '../mailboxes/labels';
import { Link } from '../router';
import { activityPath, newEmailPath } from '../routes';
import { Field } from '../ui/Field';
import { ListTable, LoadMore } from '../ui/ListTable';
import { ProblemNotice } from '../ui/Notice';
import { useCursorList } from '../ui/use-cursor-list';
import { ACTIVITY_STATUS_LABELS, DIRECTION_LABELS } from './email-form';
import { mailboxLabel, useMailboxChoices } from './use-mailbox-choices';

type Filters = {
  mailboxId: string;
  direction: Schemas['ActivityDirection'] | '';
  status: Schemas['ActivityStatus'] | '';
};

/** Email activities (S-1, S-3): tracked incoming email and queued or sent outgoing email, newest first. */
export function ActivitiesPage({ mailboxId }: { mailboxId: string | null }) {
  const api = useApi();
  const choices = useMailboxChoices();
  const [filters, setFilters] = useState<Filters>({ mailboxId: mailboxId ?? '', direction: '', status: '' });
  const page = (cursor?: string) =>
    unwrap(
      api.GET('/api/v1/email-activities', {
        params: {
          query: {
            ...(filters.mailboxId ? { mailboxId: filters.mailboxId } : {}),
            ...(filters.direction ? { direction: filters.direction } : {}),
            ...(filters.status ? { status: filters.status } : {}),
            limit: 50,
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    );
  const list = useCursorList(JSON.stringify(filters), page);
  useEffect(() => {
    document.title = 'Email Activities · ssync';
  }, []);
  const set = (change: Partial<Filters>) => setFilters((f) => ({ ...f, ...change }));
  const names = new Map((choices.data ?? []).map((m) => [m.id, m.name]));

  return (
    <>
      <h1 tabIndex={-1}>Email Activities</h1>
      <div className="commands" role="toolbar" aria-label="Email activity commands">
        <Link className="button" to={newEmailPath(filters.mailboxId || null)}>
          New Email
        </Link>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <div role="search" aria-label="Filter email activities" className="filters">
        <Field id="activities-mailbox" label="Mailbox">
          {(control) => (
            <select
              {...control}
              value={filters.mailboxId}
              onChange={(e) => set({ mailboxId: e.target.value })}
            >
              <option value="">Any</option>
              {filters.mailboxId && !names.has(filters.mailboxId) && (
                <option value={filters.mailboxId}>{filters.mailboxId}</option>
              )}
              {(choices.data ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {mailboxLabel(m)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="activities-direction" label="Direction">
          {(control) => (
            <select
              {...control}
              value={filters.direction}
              onChange={(e) => set({ direction: e.target.value as Filters['direction'] })}
            >
              <option value="">Any</option>
              {Object.entries(DIRECTION_LABELS).map(([v, text]) => (
                <option key={v} value={v}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="activities-status" label="Status">
          {(control) => (
            <select
              {...control}
              value={filters.status}
              onChange={(e) => set({ status: e.target.value as Filters['status'] })}
            >
              <option value="">Any</option>
              {Object.entries(ACTIVITY_STATUS_LABELS).map(([v, text]) => (
                <option key={v} value={v}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ProblemNotice problem={list.problem ?? choices.problem} />
      <ListTable
        className="activities"
        scroll
        caption="Email activities, newest first"
        columns={['Subject', 'Mailbox', 'Direction', 'Status', 'From', 'To', 'Time']}
        items={list.items}
        failed={list.problem !== null}
        empty="No email activities match."
        row={(a) => (
          <tr key={a.id} className={a.status === 'Failed' ? 'outcome-Failure' : undefined}>
            <th scope="row">
              <Link to={activityPath(a.id)}>{a.subject || '(no subject)'}</Link>
            </th>
            <td>{names.get(a.mailboxId) ?? a.mailboxId}</td>
            <td>{DIRECTION_LABELS[a.direction]}</td>
            <td className={`activity-${a.status}`}>{ACTIVITY_STATUS_LABELS[a.status]}</td>
            <td>{a.from ?? ''}</td>
            <td>{a.to.join('; ')}</td>
            <td>{timeText(a.sentAt ?? a.receivedAt ?? a.queuedAt ?? null)}</td>
          </tr>
        )}
      />
      <LoadMore cursor={list.cursor} onLoad={list.loadMore} />
    </>
  );
}
