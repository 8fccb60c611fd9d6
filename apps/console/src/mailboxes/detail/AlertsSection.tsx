import { type Mailbox, unwrap } from '../../api/client';
import { useApi } from '../../api/context';
import { ListTable } from '../../ui/ListTable';
import { useLoad } from '../../ui/use-load';
import { timeText } from '../labels';
import { Loading, Section } from './Section';

/**
 * The alerts about this mailbox on its owner's wall. The API keeps one wall per user and answers it whole,
 * so the page picks this mailbox's alerts out of it.
 */
export function AlertsSection({ mailbox, round }: { mailbox: Mailbox; round: number }) {
  const api = useApi();
  const loaded = useLoad(`${mailbox.ownerId}|${round}`, async () => {
    const wall = await unwrap(
      api.GET('/api/v1/users/{userId}/alerts', { params: { path: { userId: mailbox.ownerId } } }),
    );
    return wall.items.filter((a) => a.mailboxId === mailbox.id);
  });
  return (
    <Section id="mailbox-alerts" title="Alerts">
      <Loading loaded={loaded}>
        {(alerts) =>
          alerts.length === 0 ? (
            <p>No alerts about this mailbox on its owner&apos;s wall.</p>
          ) : (
            <ListTable
              scroll
              caption="Alerts about this mailbox, newest first"
              columns={['Level', 'Message', 'First seen', 'Last seen', 'Times', 'Dismissed']}
              items={alerts}
              empty={null}
              row={(a) => (
                <tr key={a.id} className={a.level === 'Error' ? 'outcome-Failure' : undefined}>
                  <td>{a.level}</td>
                  <th scope="row">{a.message}</th>
                  <td>{timeText(a.firstSeenAt)}</td>
                  <td>{timeText(a.lastSeenAt)}</td>
                  <td>{a.count}</td>
                  <td>{a.dismissed ? 'Yes' : 'No'}</td>
                </tr>
              )}
            />
          )
        }
      </Loading>
    </Section>
  );
}
