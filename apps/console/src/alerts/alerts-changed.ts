/**
 * The nav's count of active alerts reads the wall again when the wall page changes it (a dismissal), rather than
 * polling: alerts change when a test or a sync ends, and every page load reads the count anyway.
 */
const ALERTS_CHANGED = 'ssync:alerts-changed';

export function announceAlertsChanged(): void {
  window.dispatchEvent(new Event(ALERTS_CHANGED));
}

export function onAlertsChanged(listener: () => void): () => void {
  window.addEventListener(ALERTS_CHANGED, listener);
  return () => window.removeEventListener(ALERTS_CHANGED, listener);
}
