import { serviceAlertMessage } from './service-alert';

describe("administrators' alerts (issue #11)", () => {
  it('say which dependency was away, for how long, and what work waited', () => {
    expect(
      serviceAlertMessage({
        dependency: 'kafka',
        role: 'sync-worker',
        instanceId: 'w-1',
        from: '2026-02-01T09:00:00.000Z',
        to: '2026-02-01T09:00:41.000Z',
        deferred: { polls: 31, tests: 1, sends: 0 },
      }),
    ).toBe(
      'sync-worker w-1 could not reach the event log (Kafka) from 2026-02-01T09:00:00.000Z to 2026-02-01T09:00:41.000Z ' +
        '(41 s) and put off 31 poll attempts, 1 test attempt, 0 send attempts until it answered again; nothing was ' +
        'recorded against the mailboxes for it.',
    );
  });
});
