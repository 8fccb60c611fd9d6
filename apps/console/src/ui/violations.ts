import type { Violation } from '../api/client';

/** An API message ("is required") as a sentence of its own ("Is required."). */
export const sentence = (message: string): string =>
  `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`;

/** The API's violations by the field they name; several for one field read one after the other. */
export function violationsByField(violations: readonly Violation[]): Map<string, string> {
  const by = new Map<string, string>();
  for (const v of violations) {
    const before = by.get(v.field);
    by.set(v.field, before ? `${before} ${sentence(v.message)}` : sentence(v.message));
  }
  return by;
}
