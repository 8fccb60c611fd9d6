import { unwrap } from '../api/client';
import { useApi } from '../api/context';
import { timeText } from '../mailboxes/labels';
import { ListTable } from '../ui/ListTable';
import { ProblemNotice } from '../ui/Notice';
import { useLoad } from '../ui/use-load';
import { LEVEL_LABELS } from './alert-labels';
import { newestFirst } from './service-alerts';

/**
 * The administrators' alerts (issue #11): the service itself could not reach the event log or the database and
 * put work off. No mailbox owner's wall shows them. The API answers them whole (at most 200), so no paging.
 */
export function ServiceAlertsSection({ round }: { round: number }) {
  const api = useApi();
  const loaded = useLoad(String(round), async () =>
    newestFirst((await unwrap(api.GET('/api/v1/service-alerts'))).items),
  );
  return (
    <section className="panel" aria-labelledby="service-alerts-heading">
      <h2 id="service-alerts-heading">Service alerts</h2>
      <p>Conditions of the service itself, for administrators: no mailbox owner&apos;s wall shows them.</p>
      <ProblemNotice problem={loaded.problem} />
      <ListTable
        className="service-alerts"
        caption="Service alerts, newest first"
        columns={['Level', 'Alert', 'First seen', 'Last seen']}
        items={loaded.data}
        failed={loaded.problem !== null}
        empty="No service alerts."
        row={(a) => (
          <tr key={a.id} className={`level-${a.level}`}>
            <td>
              <span className={`badge badge-${a.level}`}>{LEVEL_LABELS[a.level]}</span>
            </td>
            <th scope="row">{a.message}</th>
            <td>{timeText(a.from)}</td>
            <td>{timeText(a.to)}</td>
          </tr>
        )}
      />
    </section>
  );
}
