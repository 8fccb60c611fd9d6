import { type ServiceAlert, canSeeServiceAlerts, newestFirst } from './service-alerts';

const alert = (id: string, to: string): ServiceAlert => ({
  id,
  level: 'Warning',
  message: `interruption ${id}`,
  recordedAt: to,
  dependency: 'kafka',
  role: 'sync-worker',
  instanceId: 'w1',
  from: '2026-03-01T09:00:00.000Z',
  to,
  deferred: { polls: 1, tests: 0, sends: 0 },
});

describe('service alerts', () => {
  it('are shown to a session that holds EmailSettingsAdmin', () => {
    expect(canSeeServiceAlerts({ privileges: ['MailboxRead', 'EmailSettingsAdmin'] })).toBe(true);
  });

  it('are not shown without EmailSettingsAdmin, nor before the session is known', () => {
    expect(canSeeServiceAlerts({ privileges: ['MailboxRead', 'MailboxWrite', 'ProfileAdmin'] })).toBe(false);
    expect(canSeeServiceAlerts(null)).toBe(false);
  });

  it('list the interruption that ended last first, whatever order they came in', () => {
    const alerts = [
      alert('a', '2026-03-01T09:05:00.000Z'),
      alert('b', '2026-03-02T09:05:00.000Z'),
      alert('c', '2026-03-01T10:05:00.000Z'),
    ];
    expect(newestFirst(alerts).map((a) => a.id)).toEqual(['b', 'c', 'a']);
  });

  it('keep a steady order for interruptions that ended at the same time', () => {
    const at = '2026-03-01T09:05:00.000Z';
    expect(newestFirst([alert('a', at), alert('b', at)]).map((a) => a.id)).toEqual(['b', 'a']);
    expect(newestFirst([alert('b', at), alert('a', at)]).map((a) => a.id)).toEqual(['b', 'a']);
  });
});
