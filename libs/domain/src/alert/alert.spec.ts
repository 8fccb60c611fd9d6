import { DeciderSpecification } from '../shared/decider-spec';
import { AlertCommand, AlertEvent, alertDecider } from './alert';

const spec = DeciderSpecification.for(alertDecider);
const dismiss = (through: string, extra: Partial<AlertCommand> = {}): AlertCommand => ({
  type: 'DismissAlert',
  commandId: 'c-1',
  actor: 'u-1',
  issuedAt: '2026-03-01T12:00:00.000Z',
  alertId: 'a-1',
  userId: 'u-1',
  through,
  ...extra,
});
const dismissed = (through: string): AlertEvent => ({
  type: 'AlertDismissed',
  data: { alertId: 'a-1', userId: 'u-1', through, dismissedAt: '2026-03-01T12:00:00.000Z' },
});

describe('alert decider (A-1 dismissal)', () => {
  it('dismisses an alert as seen up to a time, once', () => {
    spec
      .given([])
      .when(dismiss('2026-03-01T11:00:00Z'))
      .then([dismissed('2026-03-01T11:00:00.000Z')]);
    spec
      .given([dismissed('2026-03-01T11:00:00.000Z')])
      .when(dismiss('2026-03-01T11:00:00Z'))
      .thenNothingHappened();
    spec
      .given([dismissed('2026-03-01T11:00:00.000Z')])
      .when(dismiss('2026-03-01T10:00:00Z'))
      .thenNothingHappened();
  });

  it('a repeat seen after the dismissal can be dismissed again', () => {
    spec
      .given([dismissed('2026-03-01T11:00:00.000Z')])
      .when(dismiss('2026-03-01T11:30:00.000Z'))
      .then([dismissed('2026-03-01T11:30:00.000Z')]);
  });

  it('validates ids and the time', () => {
    spec
      .given([])
      .when(dismiss('soon', { alertId: 'bad id', userId: '' }))
      .thenThrows('validation', [
        { field: 'through', rule: 'isoDateTime' },
        { field: 'userId', rule: 'minLength' },
        { field: 'alertId', rule: 'id' },
      ]);
  });
});
