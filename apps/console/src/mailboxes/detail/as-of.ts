/**
 * A `datetime-local` input holds a wall-clock time with no zone ("2026-01-31T10:00"); the API wants an instant
 * with one. The browser's zone is the administrator's, so the value is read as local time.
 */
export function asOfInstant(local: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const at = new Date(y, mo - 1, d, h, mi, s);
  // Date rolls 31 February over into March; a value the input cannot hold is refused, not moved.
  if (at.getFullYear() !== y || at.getMonth() !== mo - 1 || at.getDate() !== d) return null;
  return at.toISOString();
}

/**
 * The value a `datetime-local` input (with `step` 1) shows for an instant, to the second, in the browser's zone.
 * To the minute would leave out what happened in the last minute: "now" would not show the state now.
 */
export function localInputValue(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}
