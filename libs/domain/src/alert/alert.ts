import { CommandMeta, Decider, assertNever, assertValid } from '../shared/decider';
import { rules } from '../shared/rules';

/**
 * Alerts (SPEC A-1) are derived by the projection from mailbox events; the one thing a user does to an alert —
 * dismiss it — is a command on an aggregate of its own (id = alert id), so the projection stays a pure function
 * of the log. A dismissal covers the alert as seen up to `through` (its lastSeenAt when the user dismissed it): a
 * later repeat of the alert shows again, whatever order a replay applies the two streams in.
 */
export const ALERT_LEVELS = ['Error', 'Warning', 'Information'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export type AlertCommand = CommandMeta & {
  type: 'DismissAlert';
  alertId: string;
  /** The user whose wall the alert is on. */
  userId: string;
  /** The alert's lastSeenAt as the user saw it. */
  through: string;
};

export type AlertEvent = {
  type: 'AlertDismissed';
  data: { alertId: string; userId: string; through: string; dismissedAt: string };
};

export type AlertState = { dismissedThrough: string | null };

export const initialAlertState = (): AlertState => ({ dismissedThrough: null });

const ALERT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function decideAlert(command: AlertCommand, state: AlertState): AlertEvent[] {
  switch (command.type) {
    case 'DismissAlert': {
      const v = rules.isoInstant('through', command.through);
      v.push(...rules.requiredString('userId', command.userId, 1, 128));
      if (typeof command.alertId !== 'string' || !ALERT_ID.test(command.alertId))
        v.push({ field: 'alertId', rule: 'id', message: 'must be 1–64 letters, digits, "-" or "_"' });
      assertValid(v);
      const through = new Date(Date.parse(command.through)).toISOString();
      if (state.dismissedThrough !== null && state.dismissedThrough >= through) return [];
      return [
        {
          type: 'AlertDismissed',
          data: {
            alertId: command.alertId,
            userId: command.userId,
            through,
            dismissedAt: command.issuedAt,
          },
        },
      ];
    }
    default:
      return assertNever(command.type, 'alert command');
  }
}

export function evolveAlert(state: AlertState, event: AlertEvent): AlertState {
  switch (event.type) {
    case 'AlertDismissed':
      return {
        dismissedThrough:
          state.dismissedThrough !== null && state.dismissedThrough > event.data.through
            ? state.dismissedThrough
            : event.data.through,
      };
    default:
      return assertNever(event.type, 'alert event');
  }
}

export const alertDecider: Decider<AlertCommand, AlertEvent, AlertState> = {
  decide: decideAlert,
  evolve: evolveAlert,
  initialState: initialAlertState,
};
