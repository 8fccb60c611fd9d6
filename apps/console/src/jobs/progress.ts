import type { BulkJob, Mailbox } from '../api/client';

/** How far a set of jobs (a profile's Test & Enable is one per 10,000 mailboxes) has come. */
export interface JobsProgress {
  total: number;
  /** Mailboxes whose part is over for now: refused, tested (passed, failed, or failed and to be retried). */
  finished: number;
  succeeded: number;
  failed: number;
  retrying: number;
  refused: number;
  percent: number;
  /** Nothing more will change without a retry or a new request: polling can stop. */
  done: boolean;
}

/**
 * A job completes once each mailbox's command is decided; the tests it requested run afterwards (the job's `tests`),
 * so a test job is over only when none is still waiting. A transiently failed test is retried minutes later: it
 * counts as over here, and shows as a failure that will be retried.
 */
export function progressOf(jobs: readonly BulkJob[]): JobsProgress {
  const p = { total: 0, finished: 0, succeeded: 0, failed: 0, retrying: 0, refused: 0 };
  for (const j of jobs) {
    p.total += j.total;
    p.refused += j.refused;
    if (j.tests) {
      p.finished += j.refused + j.tests.completed + j.tests.retrying + j.tests.superseded;
      p.succeeded += j.tests.succeeded;
      p.failed += j.tests.failed;
      p.retrying += j.tests.retrying;
    } else p.finished += j.done;
  }
  const settled = jobs.every((j) => j.status !== 'Running');
  return {
    ...p,
    percent: p.total === 0 ? 100 : Math.floor((100 * p.finished) / p.total),
    done: jobs.length > 0 && settled && (p.finished >= p.total || jobs.some((j) => j.status === 'Failed')),
  };
}

export type ResultOutcome = 'Refused' | 'Failure' | 'Retrying' | 'Waiting' | 'NotRun' | 'Success';

export const OUTCOME_LABELS: Record<ResultOutcome, string> = {
  Refused: 'Refused',
  Failure: 'Failure',
  Retrying: 'Failure (will retry)',
  Waiting: 'Waiting',
  NotRun: 'Not Run',
  Success: 'Success',
};

/** Failures first: what needs the administrator. */
const ORDER: ResultOutcome[] = ['Refused', 'Failure', 'Retrying', 'Waiting', 'NotRun', 'Success'];

export interface ResultRow {
  mailboxId: string;
  name: string;
  emailAddress: string | null;
  outcome: ResultOutcome;
  mailbox: Mailbox | null;
  /** Why it did not succeed, or why it changed nothing (already inactive); null otherwise. */
  reason: string | null;
}

function outcomeOf(m: Mailbox): ResultOutcome {
  if (m.testPending) return m.testAttempt > 0 ? 'Retrying' : 'Waiting';
  return m.mailboxStatus;
}

/**
 * A row per mailbox of the jobs, failures first. A refusal is the job's result, with its reason; otherwise a job
 * that tests (Test & Enable, or defaults applied with it) ends in the mailbox's test statuses, and one that does
 * not (Approve, Reject, Edit, Deactivate) succeeded once its command was accepted, with the API's note if any.
 */
export function resultRows(jobs: readonly BulkJob[], mailboxes: ReadonlyMap<string, Mailbox>): ResultRow[] {
  const rows = jobs.flatMap((j) =>
    j.results.map((r): ResultRow => {
      const m = mailboxes.get(r.mailboxId) ?? null;
      const row = {
        mailboxId: r.mailboxId,
        name: m?.name ?? r.mailboxId,
        emailAddress: m?.emailAddress ?? null,
      };
      if (r.outcome === 'Refused')
        return { ...row, outcome: 'Refused', mailbox: m, reason: r.reason ?? null };
      if (!j.tests) return { ...row, outcome: 'Success', mailbox: m, reason: r.reason ?? null };
      const outcome = m ? outcomeOf(m) : 'Waiting';
      const reason =
        outcome === 'Success' || !m
          ? null
          : (m.mailboxStatusReason ??
            m.incomingEmailStatusReason ??
            m.outgoingEmailStatusReason ??
            m.actStatusReason);
      return { ...row, outcome, mailbox: m, reason };
    }),
  );
  return failuresFirst(rows);
}

export function failuresFirst(rows: ResultRow[]): ResultRow[] {
  return rows.sort(
    (a, b) => ORDER.indexOf(a.outcome) - ORDER.indexOf(b.outcome) || a.name.localeCompare(b.name),
  );
}

/** The progress in words; a job that tests counts tests, any other counts the mailboxes it has done. */
export function progressSentence(p: JobsProgress, testing: boolean): string {
  const refused = p.refused ? `, ${p.refused} refused` : '';
  if (!testing) return `${p.finished} of ${p.total} mailboxes done (${p.percent} %)${refused}.`;
  const retrying = p.retrying ? ` (${p.retrying} will be retried)` : '';
  return `${p.finished} of ${p.total} mailboxes tested (${p.percent} %): ${p.succeeded} succeeded, ${p.failed + p.retrying} failed${retrying}${refused}.`;
}
