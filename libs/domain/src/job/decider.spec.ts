import { DeciderSpecification } from '../shared/decider-spec';
import { JobCommand } from './commands';
import { jobDecider, jobSummary } from './decider';
import { JobEvent } from './events';

const spec = DeciderSpecification.for(jobDecider);
const meta = { commandId: 'c-1', actor: 'alice', issuedAt: '2026-01-01T10:00:00.000Z' };
const jobId = 'job-1';
const started: JobEvent = {
  type: 'BulkJobStarted',
  data: {
    jobId,
    jobType: 'ApproveEmail',
    mailboxIds: ['m-1', 'm-2', 'm-3'],
    parameters: { type: 'ApproveEmail' },
    startedAt: meta.issuedAt,
    requestedBy: 'alice',
  },
};
const start = (mailboxIds: unknown[]): JobCommand =>
  ({ ...meta, type: 'StartBulkJob', jobId, mailboxIds, parameters: { type: 'ApproveEmail' } }) as JobCommand;
const record = (
  results: { mailboxId: string; outcome: 'Done' | 'Refused'; reason?: string }[],
): JobCommand => ({
  ...meta,
  type: 'RecordBulkJobItems',
  jobId,
  results,
});

describe('bulk job decider', () => {
  it('starts a job with its mailbox ids', () => {
    spec
      .given([])
      .when(start(['m-1', 'm-2', 'm-3']))
      .then([started]);
  });

  it('refuses an empty list, duplicates, bad ids and more than 10,000 ids', () => {
    spec
      .given([])
      .when(start([]))
      .thenThrows('validation', [{ field: 'mailboxIds', rule: 'minItems' }]);
    spec
      .given([])
      .when(start(['m-1', 'm-1']))
      .thenThrows('validation', [{ field: 'mailboxIds', rule: 'unique' }]);
    spec
      .given([])
      .when(start(['bad id']))
      .thenThrows('validation', [{ field: 'mailboxIds', rule: 'id' }]);
    const many = Array.from({ length: 10_001 }, (_, i) => `m-${i}`);
    spec
      .given([])
      .when(start(many))
      .thenThrows('validation', [{ field: 'mailboxIds', rule: 'maxItems' }]);
  });

  it('records each outcome once, even when a resumed runner reports it twice', () => {
    const first: JobEvent = {
      type: 'BulkJobItemsCompleted',
      data: { jobId, results: [{ mailboxId: 'm-1', outcome: 'Done' }] },
    };
    spec
      .given([started, first])
      .when(
        record([
          { mailboxId: 'm-1', outcome: 'Done' },
          { mailboxId: 'm-2', outcome: 'Refused', reason: 'no address' },
          { mailboxId: 'm-2', outcome: 'Refused', reason: 'no address' },
        ]),
      )
      .then([
        {
          type: 'BulkJobItemsCompleted',
          data: { jobId, results: [{ mailboxId: 'm-2', outcome: 'Refused', reason: 'no address' }] },
        },
      ]);
    spec
      .given([started, first])
      .when(record([{ mailboxId: 'm-1', outcome: 'Done' }]))
      .thenNothingHappened();
    spec
      .given([started])
      .when(record([{ mailboxId: 'x', outcome: 'Done' }]))
      .thenThrows('validation', [{ field: 'results[0].mailboxId', rule: 'member' }]);
  });

  it('completes only when every mailbox has an outcome, and once', () => {
    const complete: JobCommand = { ...meta, type: 'CompleteBulkJob', jobId };
    spec
      .given([started])
      .when(complete)
      .thenThrows('validation', [{ field: 'results', rule: 'complete' }]);
    const all: JobEvent = {
      type: 'BulkJobItemsCompleted',
      data: {
        jobId,
        results: [
          { mailboxId: 'm-1', outcome: 'Done' },
          { mailboxId: 'm-2', outcome: 'Done' },
          { mailboxId: 'm-3', outcome: 'Refused', reason: 'r' },
        ],
      },
    };
    const done: JobEvent = {
      type: 'BulkJobCompleted',
      data: { jobId, status: 'Completed', completedAt: meta.issuedAt, failure: null },
    };
    const state = spec.given([started, all]).when(complete).then([done]);
    expect(jobSummary(state)).toEqual({
      jobId,
      jobType: 'ApproveEmail',
      status: 'Completed',
      total: 3,
      done: 3,
      refused: 1,
    });
    spec.given([started, all, done]).when(complete).thenNothingHappened();
  });

  it('does not change the state it evolves from', () => {
    const before = jobDecider.evolve(jobDecider.initialState(), started);
    jobDecider.evolve(before, {
      type: 'BulkJobItemsCompleted',
      data: { jobId, results: [{ mailboxId: 'm-1', outcome: 'Done' }] },
    });
    expect(jobSummary(before)?.done).toBe(0);
  });
});
