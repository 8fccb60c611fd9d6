import { useEffect } from 'react';
import { type EmailActivity, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { timeText } from '../mailboxes/labels';
import { Link, navigate } from '../router';
import { mailboxPath } from '../routes';
import { ProblemNotice } from '../ui/Notice';
import { useLoad } from '../ui/use-load';
import { htmlBodyText } from './body-text';
import { ACTIVITY_STATUS_LABELS, DIRECTION_LABELS } from './email-form';

/** How often a page showing an email waiting to be sent asks again (a worker sends it within a tick or two). */
const PENDING_REFRESH_MS = 1000;

/**
 * One email activity: its fields and its body, as text (never as HTML). An email waiting to be sent is read again
 * each second until it is sent or failed, so the page shows the outcome without a reload.
 */
export function ActivityPage({ id }: { id: string }) {
  const api = useApi();
  // A page opened right after queueing carries the version it must show (read your own write).
  const minVersion = (window.history.state as { minVersion?: number } | null)?.minVersion;
  const loaded = useLoad(id, () =>
    unwrap(
      api.GET('/api/v1/email-activities/{id}', {
        params: { path: { id }, header: minVersion ? { 'X-Min-Version': String(minVersion) } : {} },
      }),
    ),
  );
  const a = loaded.data;
  useEffect(() => {
    document.title = `${a?.subject || 'Email activity'} · ssync`;
  }, [a?.subject]);
  const pending = a?.status === 'PendingSend';
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(loaded.reload, PENDING_REFRESH_MS);
    return () => window.clearTimeout(timer);
  }, [pending, a?.version, loaded.reload]);

  const crumbs = (
    <p className="crumbs">
      <Link to="/email-activities">Email Activities</Link>
    </p>
  );
  if (!a)
    return (
      <>
        {crumbs}
        <h1 tabIndex={-1}>Email activity</h1>
        {loaded.problem ? <ProblemNotice problem={loaded.problem} /> : <p>Loading…</p>}
      </>
    );
  return (
    <>
      {crumbs}
      <h1 tabIndex={-1}>{a.subject || '(no subject)'}</h1>
      <div className="commands">
        <button type="button" onClick={loaded.reload}>
          Refresh
        </button>
        <button
          type="button"
          onClick={() => navigate(`/email-activities?mailboxId=${encodeURIComponent(a.mailboxId)}`)}
        >
          This mailbox's email
        </button>
      </div>
      <ProblemNotice problem={loaded.problem} />
      <p className={`notice ${a.status === 'Failed' ? 'notice-error' : 'notice-ok'}`} role="status">
        {statusText(a)}
      </p>
      <section className="panel" aria-labelledby="activity-facts-heading">
        <h2 id="activity-facts-heading">Email</h2>
        <dl className="facts">
          <dt>Direction</dt>
          <dd>{DIRECTION_LABELS[a.direction]}</dd>
          <dt>Status</dt>
          <dd>{ACTIVITY_STATUS_LABELS[a.status]}</dd>
          <dt>Mailbox</dt>
          <dd>
            <MailboxLink id={a.mailboxId} />
          </dd>
          <dt>From</dt>
          <dd>{a.from ?? '—'}</dd>
          <dt>To</dt>
          <dd>{a.to.join('; ') || '—'}</dd>
          <dt>Cc</dt>
          <dd>{a.cc.join('; ') || '—'}</dd>
          {a.direction === 'Incoming' ? (
            <>
              <dt>Received</dt>
              <dd>{timeText(a.receivedAt ?? null)}</dd>
            </>
          ) : (
            <>
              <dt>Queued</dt>
              <dd>{timeText(a.queuedAt ?? null)}</dd>
              <dt>Send attempts</dt>
              <dd>{a.attempt}</dd>
              {a.nextAttemptAt && (
                <>
                  <dt>Next attempt</dt>
                  <dd>{timeText(a.nextAttemptAt)}</dd>
                </>
              )}
              {a.failureReason && (
                <>
                  <dt>Failure reason</dt>
                  <dd>{a.failureReason}</dd>
                </>
              )}
            </>
          )}
          <dt>Sent</dt>
          <dd>{timeText(a.sentAt)}</dd>
          <dt>Internet Message-ID</dt>
          <dd>{a.internetMessageId ?? '—'}</dd>
          <dt>Exchange item id</dt>
          <dd className="wrap">{a.exchangeItemId ?? '—'}</dd>
        </dl>
      </section>
      <Body activity={a} />
    </>
  );
}

/** The mailbox by its name; its id until the name is read (or when it cannot be, e.g. out of the caller's reach). */
function MailboxLink({ id }: { id: string }) {
  const api = useApi();
  const mailbox = useLoad(id, () => unwrap(api.GET('/api/v1/mailboxes/{id}', { params: { path: { id } } })));
  return <Link to={mailboxPath(id)}>{mailbox.data?.name ?? id}</Link>;
}

function statusText(a: EmailActivity): string {
  switch (a.status) {
    case 'Tracked':
      return 'Tracked from Exchange.';
    case 'PendingSend':
      return a.attempt > 0
        ? `Waiting to be sent again (${a.attempt} attempt(s) so far).`
        : 'Waiting to be sent.';
    case 'Sent':
      return `Sent ${timeText(a.sentAt)}.`;
    case 'Failed':
      return `Sending failed: ${a.failureReason ?? 'no reason given'}.`;
  }
}

function Body({ activity: a }: { activity: EmailActivity }) {
  return (
    <section className="panel" aria-labelledby="activity-body-heading">
      <h2 id="activity-body-heading">Body</h2>
      {a.body === '' ? (
        <p>(empty)</p>
      ) : a.bodyType === 'HTML' ? (
        <>
          <p className="field-hint">An HTML body, shown as its text.</p>
          <pre className="email-body" aria-label="Body text">
            {htmlBodyText(a.body)}
          </pre>
          <details>
            <summary>HTML source</summary>
            <pre className="email-body">{a.body}</pre>
          </details>
        </>
      ) : (
        <pre className="email-body" aria-label="Body text">
          {a.body}
        </pre>
      )}
    </section>
  );
}
