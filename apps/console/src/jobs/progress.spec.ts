import type { BulkJob, Mailbox } from '../api/client';
import { progressOf, progressSentence, resultRows } from './progress';

const job = (changes: Partial<BulkJob>): BulkJob => ({
  id: 'j1',
  type: 'TestAndEnable',
  status: 'Running',
  total: 4,
  done: 0,
  refused: 0,
  startedAt: '2026-03-01T09:00:00.000Z',
  completedAt: null,
  requestedBy: 'admin',
  results: [],
  tests: { requested: 0, completed: 0, succeeded: 0, failed: 0, retrying: 0, waiting: 0, superseded: 0 },
  ...changes,
});

const mailbox = (id: string, changes: Partial<Mailbox>) =>
  ({
    id,
    name: id,
    emailAddress: `${id}@contoso.com`,
    testPending: false,
    testAttempt: 0,
    mailboxStatus: 'Success',
    mailboxStatusReason: null,
    incomingEmailStatusReason: null,
    outgoingEmailStatusReason: null,
    actStatusReason: null,
    ...changes,
  }) as Mailbox;

describe('Test & Enable progress', () => {
  it('is not over when the job completed but tests still wait', () => {
    const p = progressOf([
      job({
        status: 'Completed',
        done: 4,
        tests: {
          requested: 4,
          completed: 2,
          succeeded: 2,
          failed: 0,
          retrying: 0,
          waiting: 2,
          superseded: 0,
        },
      }),
    ]);
    expect([p.percent, p.done]).toEqual([50, false]);
  });

  it('is over at 100 % when every mailbox was refused or tested, a transient failure included', () => {
    const p = progressOf([
      job({
        status: 'Completed',
        done: 4,
        refused: 1,
        tests: {
          requested: 3,
          completed: 2,
          succeeded: 1,
          failed: 1,
          retrying: 1,
          waiting: 0,
          superseded: 0,
        },
      }),
    ]);
    expect(p).toMatchObject({ percent: 100, done: true, succeeded: 1, failed: 1, retrying: 1, refused: 1 });
  });

  it('adds up the jobs of a large profile', () => {
    const half = job({ total: 2, done: 2, status: 'Completed', tests: null, type: 'ApproveEmail' });
    expect(progressOf([half, { ...half, status: 'Running', done: 0 }])).toMatchObject({
      percent: 50,
      done: false,
    });
  });
});

describe('Test & Enable results', () => {
  it('come failures first, each with its reason', () => {
    const rows = resultRows(
      [
        job({
          results: [
            { mailboxId: 'ann', outcome: 'Done' },
            { mailboxId: 'bob', outcome: 'Done' },
            { mailboxId: 'cid', outcome: 'Refused', reason: 'the mailbox is deactivated' },
            { mailboxId: 'dan', outcome: 'Done' },
          ],
        }),
      ],
      new Map([
        ['ann', mailbox('ann', {})],
        [
          'bob',
          mailbox('bob', {
            mailboxStatus: 'Failure',
            incomingEmailStatusReason: 'permissions: no impersonation',
          }),
        ],
        [
          'dan',
          mailbox('dan', {
            testPending: true,
            testAttempt: 1,
            mailboxStatus: 'Failure',
            mailboxStatusReason: 'transient: 503',
          }),
        ],
      ]),
    );
    expect(rows.map((r) => [r.mailboxId, r.outcome, r.reason])).toEqual([
      ['cid', 'Refused', 'the mailbox is deactivated'],
      ['bob', 'Failure', 'permissions: no impersonation'],
      ['dan', 'Retrying', 'transient: 503'],
      ['ann', 'Success', null],
    ]);
  });
});

describe('results of a job that tests nothing (Approve, Reject, Edit)', () => {
  it('are a success per accepted mailbox and the reason of each refusal, refusals first', () => {
    const rows = resultRows(
      [
        job({
          type: 'ApproveEmail',
          tests: null,
          results: [
            { mailboxId: 'ann', outcome: 'Done' },
            { mailboxId: 'bob', outcome: 'Refused', reason: 'the mailbox is deactivated' },
          ],
        }),
      ],
      // A mailbox never tested still reads Not Run; that is no failure of its approval.
      new Map([['ann', mailbox('ann', { mailboxStatus: 'NotRun' })]]),
    );
    expect(rows.map((r) => [r.mailboxId, r.outcome, r.reason])).toEqual([
      ['bob', 'Refused', 'the mailbox is deactivated'],
      ['ann', 'Success', null],
    ]);
  });
});

describe('results of Deactivate', () => {
  it('say which mailboxes were already inactive, and put refusals first', () => {
    const rows = resultRows(
      [
        job({
          type: 'DeactivateMailboxes',
          tests: null,
          results: [
            { mailboxId: 'ann', outcome: 'Done' },
            { mailboxId: 'bob', outcome: 'Done', reason: 'already inactive: nothing changed' },
            { mailboxId: 'cid', outcome: 'Refused', reason: 'mailbox cid does not exist' },
          ],
        }),
      ],
      new Map([
        ['ann', mailbox('ann', {})],
        ['bob', mailbox('bob', {})],
      ]),
    );
    expect(rows.map((r) => [r.mailboxId, r.outcome, r.reason])).toEqual([
      ['cid', 'Refused', 'mailbox cid does not exist'],
      ['ann', 'Success', null],
      ['bob', 'Success', 'already inactive: nothing changed'],
    ]);
  });
});

describe('the progress in words', () => {
  const p = {
    total: 4,
    finished: 4,
    succeeded: 2,
    failed: 1,
    retrying: 1,
    refused: 0,
    percent: 100,
    done: true,
  };

  it('counts tests for a job that tests', () => {
    expect(progressSentence(p, true)).toBe(
      '4 of 4 mailboxes tested (100 %): 2 succeeded, 2 failed (1 will be retried).',
    );
  });

  it('counts mailboxes done for any other job', () => {
    expect(progressSentence({ ...p, finished: 2, percent: 50, refused: 1 }, false)).toBe(
      '2 of 4 mailboxes done (50 %), 1 refused.',
    );
  });
});
