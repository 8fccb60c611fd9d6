import { useEffect, useState } from 'react';
import { type ApiProblem, type Mailbox, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { OUTCOME_LABELS, resultRows } from '../jobs/progress';
import { useJobs } from '../jobs/use-jobs';
import { ProblemNotice } from '../ui/Notice';
import { asProblem } from '../ui/use-load';

const STATUS_LABELS: Record<Mailbox['mailboxStatus'], string> = {
  NotRun: 'Not Run',
  Success: 'Success',
  Failure: 'Failure',
};

/** Every active mailbox of the profile, page after page (the API's largest page is 500). */
function useProfileMailboxes(profileId: string, when: boolean) {
  const api = useApi();
  const [mailboxes, setMailboxes] = useState<Map<string, Mailbox> | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    if (!when) return;
    let current = true;
    void (async () => {
      const all = new Map<string, Mailbox>();
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/v1/mailboxes', {
            params: { query: { serverProfileId: profileId, limit: 500, ...(cursor ? { cursor } : {}) } },
          }),
        );
        for (const m of page.items) all.set(m.id, m);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && current);
      if (current) setMailboxes(all);
    })().catch((e: unknown) => current && setProblem(asProblem(e)));
    return () => {
      current = false;
    };
  }, [api, profileId, when]);
  return { mailboxes, problem };
}

/**
 * P-13: the progress of a profile's Test & Enable (its jobs at GET /api/v1/jobs/{id}), then a row per mailbox,
 * failures first, each with its reason.
 */
export function TestAndEnableResults({ profileId, jobIds }: { profileId: string; jobIds: string[] }) {
  const { jobs, progress, problem } = useJobs(jobIds);
  const done = progress?.done ?? false;
  const { mailboxes, problem: listProblem } = useProfileMailboxes(profileId, done);
  const rows = mailboxes ? resultRows(jobs, mailboxes) : [];
  return (
    <section className="panel" aria-labelledby="tae-heading">
      <h2 id="tae-heading">Test &amp; Enable Mailboxes</h2>
      <ProblemNotice problem={problem ?? listProblem} />
      <div className="progress">
        <label htmlFor="tae-progress">Progress</label>
        <progress id="tae-progress" max={100} value={progress?.percent ?? 0}>
          {progress?.percent ?? 0} %
        </progress>
        <p role="status">
          {progress
            ? `${progress.finished} of ${progress.total} mailboxes tested (${progress.percent} %): ${progress.succeeded} succeeded, ${progress.failed + progress.retrying} failed${progress.retrying ? ` (${progress.retrying} will be retried)` : ''}${progress.refused ? `, ${progress.refused} refused` : ''}.`
            : 'Starting…'}
        </p>
      </div>
      {done && mailboxes && (
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
                <th scope="row">{r.name}</th>
                <td>{r.emailAddress ?? '—'}</td>
                <td>{OUTCOME_LABELS[r.outcome]}</td>
                <td>{r.mailbox ? STATUS_LABELS[r.mailbox.incomingEmailStatus] : '—'}</td>
                <td>{r.mailbox ? STATUS_LABELS[r.mailbox.outgoingEmailStatus] : '—'}</td>
                <td>{r.mailbox ? STATUS_LABELS[r.mailbox.actStatus] : '—'}</td>
                <td>{r.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
