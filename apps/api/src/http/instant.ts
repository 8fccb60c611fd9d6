import { ValidateBy } from 'class-validator';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time (OpenAPI's `format: date-time`) on a real calendar day. class-validator's strict ISO 8601
 * check reads years below 100 as 19xx and refuses 0090-03-14, which the document allows.
 */
export function isInstant(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The document's pattern for an instant: what {@link isInstant} reads, before its calendar check. */
export const INSTANT_PATTERN = RFC3339.source;

/** Named isIso8601 so a refusal keeps its rule name. */
export const IsInstant = () =>
  ValidateBy({
    name: 'isIso8601',
    validator: {
      validate: isInstant,
      defaultMessage: () => 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z',
    },
  });
