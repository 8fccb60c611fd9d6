import { useEffect } from 'react';
import type { ApiProblem, BulkJob, Mailbox } from '../api/client';
import { TEST_STATUS_LABELS } from '../mailboxes/labels';
import type { MailboxListQuery } from '../mailboxes/mailbox-query';
import { Link } from '../router';
import { mailboxPath } from '../routes';
import { ProblemNotice } from '../ui/Notice';
import { OUTCOME_LABELS, ResultRow, progressSentence, resultRows } from './progress';
import { useAllMailboxes } from './use-mailboxes';
import { useJobs } from './use-jobs';

/** A bulk action's live progress bar, then its results, failures first, each with its reason. */
export function ProgressPanel(props: {
  idPrefix: string;
  title: string;
  percent: number;
  sentence: string;
  problem: ApiProblem | null;
  rows: ResultRow[] | null;
}) {
  const { idPrefix, title, percent, sentence, problem, rows } = props;
  return (
    <section className="panel" aria-labelledby={`${idPrefix}-heading`}>
      <h2 id={`${idPrefix}-heading`} tabIndex={-1}>
        {title}
      </h2>
      <ProblemNotice problem={problem} />
      <div className="progress">
        <label htmlFor={`${idPrefix}-progress`}>Progress</label>
        <progress id={`${idPrefix}-progress`} max={100} value={percent}>
          {percent} %
        </progress>
        <p role="status">{sentence}</p>
      </div>
      {rows && (
        <table>
          <caption>Results, failures first</caption>
          <thead>
            <tr>
              <th scope="col">Mailbox</th>
              <th scope="col">Email Address</th>
              <th scope="col">Result</th>
              <th scope="col">Incoming Email Status</th>
              <th scope="col">Outgoing Email Status</th>
              <th scope="col">Appointments, Contacts, and Tasks Status</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.mailboxId} className={`outcome-${r.outcome}`}>
                <th scope="row">
                  <Link to={mailboxPath(r.mailboxId)}>{r.name}</Link>
                </th>
                <td>{r.emailAddress ?? '—'}</td>
                <td>{OUTCOME_LABELS[r.outcome]}</td>
                <td>{r.mailbox ? TEST_STATUS_LABELS[r.mailbox.incomingEmailStatus] : '—'}</td>
                <td>{r.mailbox ? TEST_STATUS_LABELS[r.mailbox.outgoingEmailStatus] : '—'}</td>
                <td>{r.mailbox ? TEST_STATUS_LABELS[r.mailbox.actStatus] : '—'}</td>
                <td>{r.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * Follows bulk jobs at GET /api/v1/jobs/{id}; once they are over, reads the mailboxes `lookup` matches for their
 * names and test statuses (`known` names any it does not find), shows a row per mailbox and hands `onDone` the jobs.
 */
export function JobResults(props: {
  idPrefix: string;
  title: string;
  jobIds: string[];
  lookup: Omit<MailboxListQuery, 'limit' | 'cursor'>;
  known?: ReadonlyMap<string, Mailbox>;
  onDone?: (jobs: readonly BulkJob[]) => void;
}) {
  const { idPrefix, title, jobIds, lookup, known, onDone } = props;
  const { jobs, progress, problem } = useJobs(jobIds);
  const done = progress?.done ?? false;
  const { mailboxes, problem: listProblem } = useAllMailboxes(lookup, done);
  useEffect(() => {
    if (mailboxes) onDone?.(jobs);
    // Once, when the results are in.
  }, [mailboxes]);
  const testing = jobs.some((j) => j.tests !== null);
  const rows = mailboxes ? resultRows(jobs, new Map([...(known ?? []), ...mailboxes])) : null;
  return (
    <ProgressPanel
      idPrefix={idPrefix}
      title={title}
      percent={progress?.percent ?? 0}
      sentence={progress ? progressSentence(progress, testing) : 'Starting…'}
      problem={problem ?? listProblem}
      rows={rows}
    />
  );
}
