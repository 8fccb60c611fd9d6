import { useState } from 'react';
import { type Schemas, unwrap } from '../../api/client';
import { useApi } from '../../api/context';
import { Field } from '../../ui/Field';
import { ListTable } from '../../ui/ListTable';
import { useLoad } from '../../ui/use-load';
import { timeText } from '../labels';
import { FIRST_PAGE, type Paging, currentCursor } from '../mailbox-query';
import { Loading, Pager, Section } from './Section';

type Outcome = Schemas['LedgerOutcome'];

export const OUTCOME_LABELS: Record<Outcome, string> = {
  Tracked: 'Tracked',
  SkippedByRule: 'Skipped by a rule',
  Failed: 'Failed',
  MovedToUndeliverable: 'Moved to Undeliverable',
  Throttled: 'Throttled',
  Duplicate: 'Duplicate',
};

const PAGE_SIZE = 25;

/** B-1: every message a worker saw in the mailbox, whether it was tracked, and why (not); latest first. */
export function LedgerSection({ mailboxId, round }: { mailboxId: string; round: number }) {
  const api = useApi();
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const [paging, setPaging] = useState<Paging>(FIRST_PAGE);
  const cursor = currentCursor(paging);
  const loaded = useLoad(`${mailboxId}|${outcome}|${cursor ?? ''}|${round}`, () =>
    unwrap(
      api.GET('/api/v1/mailboxes/{id}/ledger', {
        params: {
          path: { id: mailboxId },
          query: { limit: PAGE_SIZE, ...(outcome ? { outcome } : {}), ...(cursor ? { cursor } : {}) },
        },
      }),
    ),
  );
  return (
    <Section id="mailbox-ledger" title="Tracking ledger">
      <div className="commands">
        <Field id="ledger-outcome" label="Outcome">
          {(control) => (
            <select
              {...control}
              value={outcome}
              onChange={(e) => {
                setOutcome(e.target.value as Outcome | '');
                setPaging(FIRST_PAGE);
              }}
            >
              <option value="">Any</option>
              {Object.entries(OUTCOME_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Loading loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p>{outcome ? 'No message with this outcome.' : 'No message seen in this mailbox yet.'}</p>
          ) : (
            <>
              <ListTable
                className="ledger"
                scroll
                caption="Messages seen, latest sighting first"
                columns={['Message', 'Outcome', 'Reason', 'Last seen', 'First seen', 'Tracked', 'Times seen']}
                items={page.items}
                empty={null}
                row={(e) => (
                  <tr key={e.activityId} className={e.tracked ? undefined : 'outcome-Failure'}>
                    <th scope="row">{e.internetMessageId ?? e.exchangeItemId}</th>
                    <td>{OUTCOME_LABELS[e.outcome]}</td>
                    <td>{e.reason}</td>
                    <td>{timeText(e.at)}</td>
                    <td>{timeText(e.firstSeenAt)}</td>
                    <td>{e.tracked ? timeText(e.trackedAt) : 'No'}</td>
                    <td>{e.seen}</td>
                  </tr>
                )}
              />
              <Pager label="Ledger pages" paging={paging} nextCursor={page.nextCursor} onChange={setPaging} />
            </>
          )
        }
      </Loading>
    </Section>
  );
}
