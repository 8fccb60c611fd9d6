import type { Schemas } from '../api/client';

export type ServiceAlert = Schemas['ServiceAlert'];

/**
 * The service alerts are the organization's, not a mailbox owner's: the API answers them to EmailSettingsAdmin
 * only, so the page asks for them only when the session holds it (SystemAdmin comes spelled out into it).
 */
export function canSeeServiceAlerts(session: Pick<Schemas['Session'], 'privileges'> | null): boolean {
  return session?.privileges.includes('EmailSettingsAdmin') ?? false;
}

/**
 * Newest first by when the interruption ended, as the API answers them; sorted again here so the order does not
 * rest on the answer's. ISO 8601 instants in UTC compare as text.
 */
export function newestFirst(alerts: readonly ServiceAlert[]): ServiceAlert[] {
  return [...alerts].sort((a, b) => b.to.localeCompare(a.to) || b.id.localeCompare(a.id));
}
