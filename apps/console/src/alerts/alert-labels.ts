import type { Alert, Schemas } from '../api/client';
import { mailboxPath, profilePath } from '../routes';

export const LEVEL_LABELS: Record<Schemas['AlertLevel'], string> = {
  Error: 'Error',
  Warning: 'Warning',
  Information: 'Information',
};

/** What an alert is about, as a link: its mailbox, else its profile (a profile-wide alert names no mailbox). */
export function subjectOf(
  alert: Pick<Alert, 'mailboxId' | 'profileId'>,
): { to: string; text: string } | null {
  if (alert.mailboxId) return { to: mailboxPath(alert.mailboxId), text: 'Mailbox' };
  if (alert.profileId) return { to: profilePath(alert.profileId), text: 'Email server profile' };
  return null;
}

/** The wall's views: the API's `dismissed` filter. */
export const WALL_VIEWS = {
  active: 'Active alerts',
  dismissed: 'Dismissed alerts',
  all: 'All alerts',
} as const;
export type WallView = keyof typeof WALL_VIEWS;

export function dismissedParam(view: WallView): 'true' | 'false' | undefined {
  return view === 'all' ? undefined : view === 'dismissed' ? 'true' : 'false';
}
