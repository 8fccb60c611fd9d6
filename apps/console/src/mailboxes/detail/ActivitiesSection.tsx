import { useState } from 'react';
import { unwrap } from '../../api/client';
import { useApi } from '../../api/context';
import { Link } from '../../router';
import { activityPath, newEmailPath } from '../../routes';
import { ListTable } from '../../ui/ListTable';
import { useLoad } from '../../ui/use-load';
import { timeText } from '../labels';
import { FIRST_PAGE, type Paging, currentCursor } from '../mailbox-query';
import { Loading, Pager, Section } from './Section';

const PAGE_SIZE = 10;

/** The mailbox's email activities, incoming tracked and outgoing queued or sent, newest first. */
export function ActivitiesSection({ mailboxId, round }: { mailboxId: string; round: number }) {
  const api = useApi();
  const [paging, setPaging] = useState<Paging>(FIRST_PAGE);
  const cursor = currentCursor(paging);
  const loaded = useLoad(`${mailboxId}|${cursor ?? ''}|${round}`, () =>
    unwrap(
      api.GET('/api/v1/email-activities', {
        params: { query: { mailboxId, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
    <Section id="mailbox-activities" title="Email activities">
      <p>
        <Link className="button" to={newEmailPath(mailboxId)}>
          New Email from this mailbox
        </Link>
      </p>
      <Loading loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p>No email activities for this mailbox yet.</p>
          ) : (
            <>
              <ListTable
                scroll
                caption="Email activities of this mailbox, newest first"
                columns={['Subject', 'Direction', 'Status', 'From', 'To', 'Received or sent']}
                items={page.items}
                empty={null}
                row={(a) => (
                  <tr key={a.id} className={a.status === 'Failed' ? 'outcome-Failure' : undefined}>
                    <th scope="row">
                      <Link to={activityPath(a.id)}>{a.subject || '(no subject)'}</Link>
                    </th>
                    <td>{a.direction}</td>
                    <td>
                      {a.status}
                      {a.failureReason ? `: ${a.failureReason}` : ''}
                    </td>
                    <td>{a.from ?? '—'}</td>
                    <td>{a.to.join(', ')}</td>
                    <td>{timeText(a.receivedAt ?? a.sentAt ?? a.queuedAt ?? null)}</td>
                  </tr>
                )}
              />
              <Pager
                label="Email activity pages"
                paging={paging}
                nextCursor={page.nextCursor}
                onChange={setPaging}
              />
            </>
          )
        }
      </Loading>
    </Section>
  );
}
