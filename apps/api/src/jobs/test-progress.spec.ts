import { MailboxView } from '@ssync/read-models';
import { jobItemCommandId } from './job-runner.service';
import { requestsTests, testProgress } from './test-progress';

const view = (over: Partial<MailboxView>): MailboxView =>
  ({
    testPending: false,
    testAttempt: 0,
    mailboxStatus: 'NotRun',
    testId: null,
    ...over,
  }) as MailboxView;

describe('a job’s test progress', () => {
  it('counts each requested test by where it stands; refused items and replaced tests are not this job’s', () => {
    const job = 'job-1';
    const mine = (id: string) => jobItemCommandId(job, id);
    const views: Record<string, MailboxView> = {
      ok: view({ testId: mine('ok'), mailboxStatus: 'Success' }),
      bad: view({ testId: mine('bad'), mailboxStatus: 'Failure' }),
      idle: view({ testId: mine('idle') }),
      queued: view({ testId: mine('queued'), testPending: true }),
      again: view({ testId: mine('again'), testPending: true, testAttempt: 1, mailboxStatus: 'Failure' }),
      newer: view({ testId: 'another-request', mailboxStatus: 'Success' }),
    };
    const results = [
      ...Object.keys(views).map((mailboxId) => ({ mailboxId, outcome: 'Done' as const })),
      { mailboxId: 'gone', outcome: 'Done' as const },
      { mailboxId: 'refused', outcome: 'Refused' as const, reason: 'not approved' },
    ];
    expect(testProgress(job, results, (id) => views[id] ?? null)).toEqual({
      requested: 7,
      completed: 3,
      succeeded: 1,
      failed: 1,
      retrying: 1,
      waiting: 1,
      superseded: 2,
    });
  });

  it('only jobs that test: Test & Enable, and default settings or reassignment with testAndEnable', () => {
    expect(requestsTests({ parameters: { type: 'TestAndEnable' } })).toBe(true);
    expect(requestsTests({ parameters: { type: 'ApproveEmail' } })).toBe(false);
    expect(
      requestsTests({
        parameters: { type: 'ReassignProfile', fromProfileId: 'a', toProfileId: 'b', testAndEnable: false },
      }),
    ).toBe(false);
    expect(
      requestsTests({
        parameters: { type: 'ReassignProfile', fromProfileId: 'a', toProfileId: 'b', testAndEnable: true },
      }),
    ).toBe(true);
  });
});
