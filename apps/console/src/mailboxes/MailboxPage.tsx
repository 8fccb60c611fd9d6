import { useEffect, useState } from 'react';
import { type Mailbox, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { Link } from '../router';
import { profilePath } from '../routes';
import { ProblemNotice } from '../ui/Notice';
import { useLoad } from '../ui/use-load';
import { ActivitiesSection } from './detail/ActivitiesSection';
import { AlertsSection } from './detail/AlertsSection';
import { AuditSection } from './detail/AuditSection';
import { CredentialsSection } from './detail/CredentialsSection';
import { LatencySection } from './detail/LatencySection';
import { LedgerSection } from './detail/LedgerSection';
import {
  ACT_LABELS,
  APPROVAL_LABELS,
  INCOMING_LABELS,
  OUTGOING_LABELS,
  TEST_STATUS_LABELS,
  timeText,
} from './labels';

const yesNo = (b: boolean) => (b ? 'Yes' : 'No');

/**
 * Mailbox detail (issue #13, screen 4): its statuses with their reasons (M-1, M-6), its settings, its credentials
 * (write-only), its alerts, the tracking ledger, tracking latency over time, its email activities and its audit
 * trail with its state as of a time. Each section loads on its own; Refresh reloads them all.
 */
export function MailboxPage({ id }: { id: string }) {
  const api = useApi();
  const [round, setRound] = useState(0);
  const loaded = useLoad(`${id}|${round}`, () =>
    unwrap(api.GET('/api/v1/mailboxes/{id}', { params: { path: { id } } })),
  );
  const m = loaded.data;
  useEffect(() => {
    document.title = `${m?.name ?? 'Mailbox'} · ssync`;
  }, [m?.name]);
  const crumbs = (
    <p className="crumbs">
      <Link to="/mailboxes">Active Mailboxes</Link>
    </p>
  );
  if (!m)
    return (
      <>
        {crumbs}
        <h1 tabIndex={-1}>Mailbox</h1>
        {loaded.problem ? <ProblemNotice problem={loaded.problem} /> : <p>Loading…</p>}
      </>
    );
  return (
    <>
      {crumbs}
      <h1 tabIndex={-1}>
        {m.name} <span className={`badge badge-${m.status}`}>{m.status}</span>
      </h1>
      <div className="commands">
        <button type="button" onClick={() => setRound((r) => r + 1)}>
          Refresh
        </button>
      </div>
      <ProblemNotice problem={loaded.problem} />
      <section className="panel" aria-labelledby="mailbox-status-heading">
        <h2 id="mailbox-status-heading">Status</h2>
        <table>
          <caption>Configuration test</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Value</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            <StatusRow
              label="Incoming Email Status"
              status={m.incomingEmailStatus}
              reason={m.incomingEmailStatusReason}
            />
            <StatusRow
              label="Outgoing Email Status"
              status={m.outgoingEmailStatus}
              reason={m.outgoingEmailStatusReason}
            />
            <StatusRow
              label="Appointments, Contacts, and Tasks Status"
              status={m.actStatus}
              reason={m.actStatusReason}
            />
            <StatusRow label="Mailbox Status" status={m.mailboxStatus} reason={m.mailboxStatusReason} />
          </tbody>
        </table>
        <dl className="facts">
          <dt>Test pending</dt>
          <dd>
            {m.testPending
              ? `Yes${m.testAttempt > 0 ? `, attempt ${m.testAttempt + 1} at ${timeText(m.nextTestAttemptAt)}` : ''}`
              : 'No'}
          </dd>
          <dt>Enabled for Incoming Email</dt>
          <dd>{yesNo(m.enabledForIncomingEmail)}</dd>
          <dt>Enabled for Outgoing Email</dt>
          <dd>{yesNo(m.enabledForOutgoingEmail)}</dd>
          <dt>Enabled for Appointments, Contacts, and Tasks</dt>
          <dd>{yesNo(m.enabledForAct)}</dd>
          <dt>Last Sync</dt>
          <dd>{timeText(m.lastSyncAt)}</dd>
          <dt>Last Sync Error</dt>
          <dd>{m.lastSyncError ?? '—'}</dd>
          <dt>Items processed / failed in the last sync</dt>
          <dd>
            {m.itemsProcessedLastSync} / {m.itemsFailedLastSync}
          </dd>
          <dt>Next Sync</dt>
          <dd>{timeText(m.nextSyncDueAt)}</dd>
        </dl>
      </section>
      <Settings mailbox={m} />
      <CredentialsSection key={m.id} mailbox={m} onSaved={loaded.set} />
      <AlertsSection mailbox={m} round={round} />
      <LedgerSection mailboxId={m.id} round={round} />
      <LatencySection mailboxId={m.id} round={round} />
      <ActivitiesSection mailboxId={m.id} round={round} />
      <AuditSection mailboxId={m.id} round={round} />
    </>
  );
}

function StatusRow(props: { label: string; status: Mailbox['mailboxStatus']; reason: string | null }) {
  return (
    <tr className={props.status === 'Failure' ? 'outcome-Failure' : undefined}>
      <th scope="row">{props.label}</th>
      <td>{TEST_STATUS_LABELS[props.status]}</td>
      <td>{props.reason ?? ''}</td>
    </tr>
  );
}

function Settings({ mailbox: m }: { mailbox: Mailbox }) {
  return (
    <section className="panel" aria-labelledby="mailbox-settings-heading">
      <h2 id="mailbox-settings-heading">Settings</h2>
      <dl className="facts">
        <dt>Email Address</dt>
        <dd>{m.emailAddress ?? '—'}</dd>
        <dt>Type</dt>
        <dd>{m.kind}</dd>
        <dt>Owner</dt>
        <dd>{m.ownerId}</dd>
        <dt>Email Address Status</dt>
        <dd>{APPROVAL_LABELS[m.emailAddressStatus]}</dd>
        <dt>Server Profile</dt>
        <dd>
          {m.serverProfileId ? <Link to={profilePath(m.serverProfileId)}>{m.serverProfileId}</Link> : '—'}
        </dd>
        <dt>Incoming Email</dt>
        <dd>{INCOMING_LABELS[m.incomingEmailDeliveryMethod]}</dd>
        <dt>Outgoing Email</dt>
        <dd>{OUTGOING_LABELS[m.outgoingEmailDeliveryMethod]}</dd>
        <dt>Appointments, Contacts, and Tasks</dt>
        <dd>{ACT_LABELS[m.actDeliveryMethod]}</dd>
        <dt>Sync items with Exchange from this org only</dt>
        <dd>{yesNo(m.syncOnlyFromThisOrg)}</dd>
      </dl>
    </section>
  );
}
