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
  /** Why it did not succeed; null when it did. */
  reason: string | null;
}

function outcomeOf(m: Mailbox): ResultOutcome {
  if (m.testPending) return m.testAttempt > 0 ? 'Retrying' : 'Waiting';
  return m.mailboxStatus;
}

/** A row per mailbox of the jobs, from the job's result and the mailbox's test statuses, failures first. */
export function resultRows(jobs: readonly BulkJob[], mailboxes: ReadonlyMap<string, Mailbox>): ResultRow[] {
  const rows = jobs.flatMap((j) =>
    j.results.map((r): ResultRow => {
      const m = mailboxes.get(r.mailboxId) ?? null;
      if (r.outcome === 'Refused')
        return {
          mailboxId: r.mailboxId,
          name: m?.name ?? r.mailboxId,
          emailAddress: m?.emailAddress ?? null,
          outcome: 'Refused',
          mailbox: m,
          reason: r.reason ?? null,
        };
      const outcome = m ? outcomeOf(m) : 'Waiting';
      const reason =
        outcome === 'Success' || !m
          ? null
          : (m.mailboxStatusReason ??
            m.incomingEmailStatusReason ??
            m.outgoingEmailStatusReason ??
            m.actStatusReason);
      return {
        mailboxId: r.mailboxId,
        name: m?.name ?? r.mailboxId,
        emailAddress: m?.emailAddress ?? null,
        outcome,
        mailbox: m,
        reason,
      };
    }),
  );
  return rows.sort(
    (a, b) => ORDER.indexOf(a.outcome) - ORDER.indexOf(b.outcome) || a.name.localeCompare(b.name),
  );
}
