import { FormEvent, useState } from 'react';
import { type Mailbox, type Schemas, unwrap } from '../../api/client';
import { useApi } from '../../api/context';
import { Field } from '../../ui/Field';
import { ProblemNotice } from '../../ui/Notice';
import { useLoad } from '../../ui/use-load';
import { APPROVAL_LABELS, TEST_STATUS_LABELS, timeText } from '../labels';
import { FIRST_PAGE, type Paging, currentCursor } from '../mailbox-query';
import { asOfInstant, localInputValue } from './as-of';
import { Loading, Pager, Section } from './Section';

const PAGE_SIZE = 20;

/**
 * the mailbox's events, oldest first, a page at a time by the API's cursor; and its state as it was
 * at a time the administrator picks, folded by the API from the events up to then.
 */
export function AuditSection({ mailboxId, round }: { mailboxId: string; round: number }) {
  const api = useApi();
  const [paging, setPaging] = useState<Paging>(FIRST_PAGE);
  const after = currentCursor(paging);
  const history = useLoad(`${mailboxId}|${after ?? ''}|${round}`, async () => {
    const body = await unwrap(
      api.GET('/api/v1/audit/mailboxes/{id}', {
        params: { path: { id: mailboxId }, query: { limit: PAGE_SIZE, ...(after ? { after } : {}) } },
      }),
    );
    // Without asOf the API answers the history; the type names both forms.
    if (!('events' in body)) throw new Error('The API answered a state where it should list events.');
    return body;
  });
  return (
    <Section id="mailbox-audit" title="Audit">
      <h3 id="audit-timeline-heading">Timeline</h3>
      <Loading loaded={history}>
        {(page) =>
          page.events.length === 0 ? (
            <p>No events.</p>
          ) : (
            <>
              <ol
                className="timeline"
                aria-labelledby="audit-timeline-heading"
                start={page.events[0]!.sequence}
              >
                {page.events.map((e) => (
                  <AuditEventItem key={e.eventId} event={e} />
                ))}
              </ol>
              <Pager
                label="Timeline pages"
                paging={paging}
                nextCursor={page.nextCursor}
                onChange={setPaging}
              />
            </>
          )
        }
      </Loading>
      <AsOf mailboxId={mailboxId} />
    </Section>
  );
}

function AuditEventItem({ event: e }: { event: Schemas['AuditEvent'] }) {
  return (
    <li>
      <p>
        <strong>{e.type}</strong> · version {e.sequence} ·{' '}
        <time dateTime={e.occurredAt}>{timeText(e.occurredAt)}</time> · by {e.actor}
      </p>
      <details>
        <summary>Data</summary>
        <pre>{JSON.stringify(e.payload, null, 2)}</pre>
      </details>
    </li>
  );
}

function AsOf({ mailboxId }: { mailboxId: string }) {
  const api = useApi();
  const [local, setLocal] = useState(() => localInputValue(new Date()));
  const [inputError, setInputError] = useState<string | undefined>(undefined);
  const [asked, setAsked] = useState<string | null>(null);
  const state = useLoad(`${mailboxId}|${asked ?? ''}`, async () => {
    if (asked === null) return null;
    const body = await unwrap(
      api.GET('/api/v1/audit/mailboxes/{id}', {
        params: { path: { id: mailboxId }, query: { asOf: asked } },
      }),
    );
    if (!('asOf' in body)) throw new Error('The API answered events where it should give a state.');
    return body;
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const instant = asOfInstant(local);
    setInputError(instant ? undefined : 'Enter a date and a time.');
    if (instant) setAsked(instant);
  };
  return (
    <>
      <h3 id="audit-as-of-heading">State as of a time</h3>
      <form noValidate onSubmit={submit} aria-labelledby="audit-as-of-heading" className="commands">
        <Field id="audit-asOf" label="State as of" error={inputError} hint="In this browser's time zone">
          {(control) => (
            <input
              {...control}
              type="datetime-local"
              step={1}
              value={local}
              onChange={(e) => setLocal(e.target.value)}
            />
          )}
        </Field>
        <button type="submit">Show state</button>
      </form>
      {asked !== null && (
        <div aria-live="polite">
          {state.problem ? (
            <ProblemNotice problem={state.problem} />
          ) : state.data === null || state.data.asOf !== asked ? (
            <p role="status">Loading…</p>
          ) : (
            <StateAsOf result={state.data} />
          )}
        </div>
      )}
    </>
  );
}

function StateAsOf({ result }: { result: Schemas['MailboxAsOf'] }) {
  const m: Mailbox | null = result.state;
  if (!m) return <p>At {timeText(result.asOf)} the mailbox did not exist yet.</p>;
  return (
    <dl className="facts" aria-label={`State as of ${timeText(result.asOf)}`}>
      <dt>As of</dt>
      <dd>{timeText(result.asOf)}</dd>
      <dt>Version</dt>
      <dd>{result.version}</dd>
      <dt>Name</dt>
      <dd>{m.name}</dd>
      <dt>Status</dt>
      <dd>{m.status}</dd>
      <dt>Email Address</dt>
      <dd>{m.emailAddress ?? '—'}</dd>
      <dt>Email Address Status</dt>
      <dd>{APPROVAL_LABELS[m.emailAddressStatus]}</dd>
      <dt>Server Profile</dt>
      <dd>{m.serverProfileId ?? '—'}</dd>
      <dt>Mailbox Status</dt>
      <dd>
        {TEST_STATUS_LABELS[m.mailboxStatus]}
        {m.mailboxStatusReason ? `: ${m.mailboxStatusReason}` : ''}
      </dd>
      <dt>Credentials</dt>
      <dd>{m.credentialsSet ? `Set (user name ${m.credentialsUserName ?? '—'})` : 'Not set'}</dd>
    </dl>
  );
}
