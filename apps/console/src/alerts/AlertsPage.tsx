import { useEffect, useState } from 'react';
import { type Alert, type ApiProblem, type Schemas, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { useSession } from '../auth/use-session';
import { timeText } from '../mailboxes/labels';
import { Link } from '../router';
import { Field } from '../ui/Field';
import { ListTable } from '../ui/ListTable';
import { ProblemNotice, StatusNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { LEVEL_LABELS, WALL_VIEWS, type WallView, dismissedParam, subjectOf } from './alert-labels';
import { announceAlertsChanged } from './alerts-changed';
import { ServiceAlertsSection } from './ServiceAlertsSection';
import { canSeeServiceAlerts } from './service-alerts';

type Level = Schemas['AlertLevel'];

/**
 * The signed-in user's Alerts wall (A-1, and the seed's "an alert is shown on the Alerts wall of the mailbox and the
 * profile owner"): errors, warnings and the success of Test & Enable, newest first, each with what it is about.
 * Below it, for EmailSettingsAdmin, the service's own alerts.
 */
export function AlertsPage() {
  const api = useApi();
  const { session, problem: sessionProblem } = useSession();
  const [view, setView] = useState<WallView>('active');
  const [level, setLevel] = useState<Level | ''>('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const userId = session?.userId ?? null;
  const wall = useLoad(`${userId}|${view}|${level}`, async () => {
    if (userId === null) return null;
    const dismissed = dismissedParam(view);
    return unwrap(
      api.GET('/api/v1/users/{userId}/alerts', {
        params: {
          path: { userId },
          query: { ...(dismissed ? { dismissed } : {}), ...(level ? { level } : {}) },
        },
      }),
    );
  });
  useEffect(() => {
    document.title = 'Alerts · ssync';
  }, []);

  const dismiss = async (alert: Alert) => {
    if (userId === null) return;
    setProblem(null);
    setDone(null);
    try {
      const dismissed = await unwrap(
        api.POST('/api/v1/users/{userId}/alerts/{alertId}/dismiss', {
          params: { path: { userId, alertId: alert.id } },
        }),
      );
      const items = wall.data?.items ?? [];
      wall.set({
        items:
          view === 'active'
            ? items.filter((a) => a.id !== alert.id)
            : items.map((a) => (a.id === alert.id ? dismissed : a)),
      });
      setDone('Alert dismissed.');
      announceAlertsChanged();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Alerts</h1>
      {session && (
        <p className="lede">
          The alerts wall of{' '}
          {session.name === session.userId ? session.userId : `${session.name} (${session.userId})`}: alerts
          about the mailboxes and email server profiles you own.
        </p>
      )}
      <div className="commands" role="toolbar" aria-label="Alert commands">
        <button
          type="button"
          onClick={() => {
            wall.reload();
            setRound((r) => r + 1);
          }}
        >
          Refresh
        </button>
        <Field id="alerts-view" label="Show">
          {(control) => (
            <select {...control} value={view} onChange={(e) => setView(e.target.value as WallView)}>
              {Object.entries(WALL_VIEWS).map(([v, text]) => (
                <option key={v} value={v}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="alerts-level" label="Level">
          {(control) => (
            <select {...control} value={level} onChange={(e) => setLevel(e.target.value as Level | '')}>
              <option value="">Any</option>
              {Object.entries(LEVEL_LABELS).map(([v, text]) => (
                <option key={v} value={v}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ProblemNotice problem={sessionProblem ?? wall.problem ?? problem} />
      <StatusNotice text={done} />
      <ListTable
        className="alerts"
        caption={WALL_VIEWS[view]}
        columns={[
          'Level',
          'Alert',
          'About',
          'First seen',
          'Last seen',
          'Count',
          <span className="visually-hidden">Actions</span>,
        ]}
        items={wall.data?.items ?? null}
        failed={(sessionProblem ?? wall.problem) !== null}
        empty={
          view === 'active'
            ? 'No active alerts.'
            : view === 'dismissed'
              ? 'No dismissed alerts.'
              : 'No alerts.'
        }
        row={(a) => {
          const subject = subjectOf(a);
          return (
            <tr key={a.id} className={`level-${a.level}`}>
              <td>
                <span className={`badge badge-${a.level}`}>{LEVEL_LABELS[a.level]}</span>
              </td>
              <th scope="row">{a.message}</th>
              <td>{subject ? <Link to={subject.to}>{subject.text}</Link> : '—'}</td>
              <td>{timeText(a.firstSeenAt)}</td>
              <td>{timeText(a.lastSeenAt)}</td>
              <td>{a.count}</td>
              <td>
                {a.dismissed ? (
                  'Dismissed'
                ) : (
                  <button type="button" onClick={() => void dismiss(a)}>
                    Dismiss
                  </button>
                )}
              </td>
            </tr>
          );
        }}
      />
      {canSeeServiceAlerts(session) && <ServiceAlertsSection round={round} />}
    </>
  );
}
