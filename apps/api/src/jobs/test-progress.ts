import { BulkItemResult, BulkJob } from '@ssync/domain';
import { MailboxView } from '@ssync/read-models';
import { jobItemCommandId } from './job-runner.service';

/** How the tests a job requested went (issue #12): the job is done when its commands are; the tests run after. */
export interface TestProgress {
  /** Mailboxes whose test this job requested. */
  requested: number;
  /** Their test ran to a result: `succeeded` + `failed` + completed with every area not run. */
  completed: number;
  succeeded: number;
  failed: number;
  /** A transient failure: the test runs again at the mailbox's `nextTestAttemptAt`. */
  retrying: number;
  /** Not run yet. */
  waiting: number;
  /** A later request (or the mailbox's removal) replaced this job's test: its outcome is not this job's. */
  superseded: number;
}

/** Whether the job requests a test of each mailbox (Test & Enable, or another job with `testAndEnable`). */
export function requestsTests(job: Pick<BulkJob, 'parameters'>): boolean {
  const p = job.parameters;
  return p.type === 'TestAndEnable' || ('testAndEnable' in p && p.testAndEnable);
}

/** A mailbox's test was requested by the job's item command, whose id is the test's id. */
export function testProgress(
  jobId: string,
  results: Iterable<BulkItemResult>,
  view: (mailboxId: string) => MailboxView | null,
): TestProgress {
  const p: TestProgress = {
    requested: 0,
    completed: 0,
    succeeded: 0,
    failed: 0,
    retrying: 0,
    waiting: 0,
    superseded: 0,
  };
  for (const r of results) {
    if (r.outcome !== 'Done') continue;
    p.requested += 1;
    const m = view(r.mailboxId);
    if (!m || m.testId !== jobItemCommandId(jobId, r.mailboxId)) p.superseded += 1;
    else if (m.testPending) {
      if (m.testAttempt > 0) p.retrying += 1;
      else p.waiting += 1;
    } else {
      p.completed += 1;
      if (m.mailboxStatus === 'Success') p.succeeded += 1;
      else if (m.mailboxStatus === 'Failure') p.failed += 1;
    }
  }
  return p;
}
