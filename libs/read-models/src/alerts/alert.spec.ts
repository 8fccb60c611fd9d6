import { AreaOutcome, MailboxEvent } from '@ssync/domain';
import { profileWideAlert } from './alert-wall';
import { Subject, alertId, hourOf, syncFailureAlert, testAlerts } from './alert.projection';

type Completed = Extract<MailboxEvent, { type: 'MailboxTestCompleted' }>['data'];

const subject: Subject = {
  ownerId: 'u-ada',
  profileId: 'p-1',
  name: 'Ada Lovelace',
  emailAddress: 'ada@contoso.com',
  active: true,
  version: 3,
};
const ok: AreaOutcome = { status: 'Success', reason: null, errorClass: null, enabled: true };
const busy: AreaOutcome = {
  status: 'Failure',
  reason: 'ErrorServerBusy',
  errorClass: 'Transient',
  enabled: false,
};
const denied: AreaOutcome = {
  status: 'Failure',
  reason: 'ErrorAccessDenied',
  errorClass: 'Permanent',
  enabled: false,
};
const completed = (extra: Partial<Completed>): Completed => ({
  mailboxId: 'm-1',
  testId: 't-1',
  attempt: 0,
  completedAt: '2026-03-01T10:00:00.000Z',
  areas: { incomingEmail: ok, outgoingEmail: ok },
  mailboxStatus: 'Success',
  mailboxStatusReason: null,
  retry: null,
  retriesExhausted: false,
  ...extra,
});

describe('alerts from mailbox events (A-1, M-6)', () => {
  it('success: information for the mailbox owner only, naming what was enabled and what was not run', () => {
    expect(testAlerts(subject, completed({}))).toEqual({
      level: 'Information',
      message:
        'Mailbox "Ada Lovelace" <ada@contoso.com> was tested and enabled for incoming email and outgoing email.',
      toProfileOwner: false,
      failed: false,
    });
    const actNotRun: AreaOutcome = {
      status: 'NotRun',
      reason: 'NotSynchronized',
      errorClass: null,
      enabled: false,
    };
    expect(testAlerts(subject, completed({ areas: { incomingEmail: ok, act: actNotRun } }))?.message).toBe(
      'Mailbox "Ada Lovelace" <ada@contoso.com> was tested and enabled for incoming email. Appointments, contacts and tasks: not synchronized by this version, not enabled.',
    );
    expect(
      testAlerts(subject, completed({ areas: { act: actNotRun }, mailboxStatus: 'NotRun' })),
    ).toMatchObject({
      level: 'Information',
      message:
        'Test & Enable of mailbox "Ada Lovelace" <ada@contoso.com> enabled nothing. Appointments, contacts and tasks: not synchronized by this version, not enabled.',
    });
  });

  it('transient failure with a retry: a warning for both owners, the same text on every retry', () => {
    const retry = {
      attempt: 1,
      nextAttemptAt: '2026-03-01T10:05:00.000Z',
      areas: ['incomingEmail' as const],
    };
    const first = testAlerts(
      subject,
      completed({ areas: { incomingEmail: busy, outgoingEmail: ok }, mailboxStatus: 'Failure', retry }),
    );
    const again = testAlerts(
      subject,
      completed({
        attempt: 1,
        areas: { incomingEmail: busy },
        mailboxStatus: 'Failure',
        retry: { ...retry, attempt: 2 },
      }),
    );
    expect(first).toEqual({
      level: 'Warning',
      message:
        'Test & Enable of mailbox "Ada Lovelace" <ada@contoso.com> failed with a transient error and will be retried: incoming email: ErrorServerBusy',
      toProfileOwner: true,
      failed: true,
    });
    expect(again).toEqual(first);
  });

  it('permanent failure, or transient ones out of retries: an error', () => {
    expect(
      testAlerts(subject, completed({ areas: { incomingEmail: ok, act: denied }, mailboxStatus: 'Failure' })),
    ).toMatchObject({
      level: 'Error',
      message:
        'Mailbox "Ada Lovelace" <ada@contoso.com> was disabled for email processing: Test & Enable failed: appointments, contacts and tasks: ErrorAccessDenied',
      toProfileOwner: true,
    });
    expect(
      testAlerts(
        subject,
        completed({
          attempt: 10,
          areas: { incomingEmail: busy },
          mailboxStatus: 'Failure',
          retriesExhausted: true,
        }),
      )?.message,
    ).toMatch(/a transient error persisted through every retry\): incoming email: ErrorServerBusy$/);
  });

  it('incoming sync failures: warning while retried, error once disabled', () => {
    expect(syncFailureAlert(subject, { reason: 'ErrorServerBusy', disabled: false }).level).toBe('Warning');
    expect(syncFailureAlert(subject, { reason: 'ErrorAccessDenied', disabled: true })).toEqual({
      level: 'Error',
      message: 'Mailbox "Ada Lovelace" <ada@contoso.com> was disabled for incoming email: ErrorAccessDenied',
    });
  });

  it('ids are deterministic; hours are UTC clock hours', () => {
    expect(alertId(['MailboxOwner', 'u', 'm', 'Error', 'x'])).toBe(
      alertId(['MailboxOwner', 'u', 'm', 'Error', 'x']),
    );
    expect(alertId(['MailboxOwner', 'u', 'm', 'Error', 'x'])).not.toBe(
      alertId(['ProfileOwner', 'u', 'm', 'Error', 'x']),
    );
    expect(alertId(['a'])).toMatch(/^a-[0-9a-f]{40}$/);
    expect(hourOf('2026-03-01T10:59:59.999Z')).toBe('2026-03-01T10:00:00.000Z');
    expect(hourOf('2026-03-01T11:30:00+01:00')).toBe('2026-03-01T10:00:00.000Z');
  });
});

describe("profile-wide failure alert (A-1: more than half of a profile's mailboxes within an hour)", () => {
  const f = (mailboxId: string, at: string) => ({ mailboxId, hour: hourOf(at), firstAt: at, lastAt: at });
  const profile = { id: 'p-1', name: 'Contoso' };

  it('needs more than half of the active mailboxes in one clock hour', () => {
    expect(
      profileWideAlert('u', profile, 4, [f('m1', '2026-03-01T10:01:00Z'), f('m2', '2026-03-01T10:02:00Z')]),
    ).toBeNull();
    // The same mailbox twice counts once.
    expect(
      profileWideAlert('u', profile, 3, [f('m1', '2026-03-01T10:01:00Z'), f('m1', '2026-03-01T10:02:00Z')]),
    ).toBeNull();
    expect(profileWideAlert('u', profile, 0, [f('m1', '2026-03-01T10:01:00Z')])).toBeNull();
    const alert = profileWideAlert('u', profile, 3, [
      f('m1', '2026-03-01T10:01:00Z'),
      f('m2', '2026-03-01T10:40:00Z'),
    ]);
    expect(alert).toMatchObject({
      userId: 'u',
      level: 'Error',
      profileId: 'p-1',
      count: 1,
      firstSeenAt: '2026-03-01T10:01:00Z',
      lastSeenAt: '2026-03-01T10:40:00Z',
    });
    expect(alert?.message).toContain('(2 of 3 in the hour from 2026-03-01T10:00:00.000Z)');
  });

  it('one alert per profile; each hour that met the condition counts', () => {
    const alert = profileWideAlert('u', profile, 2, [
      f('m1', '2026-03-01T10:01:00Z'),
      f('m2', '2026-03-01T10:02:00Z'),
      f('m1', '2026-03-01T11:01:00Z'), // 1 of 2: not more than half
      f('m1', '2026-03-01T12:01:00Z'),
      f('m2', '2026-03-01T12:09:00Z'),
    ]);
    expect(alert).toMatchObject({
      count: 2,
      firstSeenAt: '2026-03-01T10:01:00Z',
      lastSeenAt: '2026-03-01T12:09:00Z',
    });
    expect(alert?.id).not.toBe(
      profileWideAlert('v', profile, 2, [f('m1', '2026-03-01T10:01:00Z'), f('m2', '2026-03-01T10:02:00Z')])
        ?.id,
    );
  });
});
