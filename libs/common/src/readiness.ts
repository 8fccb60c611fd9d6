/** What a role says about itself: whether it is ready, and a report that says why (or why not). */
export interface Readiness {
  ready: boolean;
  /** One line per reason it is not ready (empty when ready). */
  reasons: string[];
  /** Whatever else an operator needs to judge it: checks, caught-up state, lags, problems met. */
  details?: Record<string, unknown>;
}

/**
 * Ready when every named check holds and nothing else (`reasons`: stores behind, sequence gaps) says otherwise.
 * Each failed check is a reason of its own.
 */
export function roleReadiness(
  checks: Record<string, boolean>,
  reasons: string[] = [],
  details: Record<string, unknown> = {},
): Readiness {
  const failed = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => `${name}: not ready`);
  const all = [...failed, ...reasons];
  return { ready: all.length === 0, reasons: all, details: { checks, ...details } };
}
