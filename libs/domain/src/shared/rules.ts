import { Violation } from './decider';

/** Small pure validators shared by aggregates. Each returns violations instead of throwing. */
/** An SMTP address as the rules accept it (at most 320 characters as well); the API's document says the same. */
export const SMTP_ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 instant with a zone, on a real calendar day and clock: Date.parse would roll 31 February into March
 * and read 24:00 as the next midnight.
 */
export function isIsoInstant(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = ISO_INSTANT.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second, zoneHour, zoneMinute] = m
    .slice(1)
    .map((x) => Number(x ?? 0)) as [number, number, number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59)
    return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const rules = {
  requiredString(field: string, value: unknown, min: number, max: number): Violation[] {
    if (typeof value !== 'string')
      return [{ field, rule: 'required', message: 'is required and must be a string' }];
    const trimmed = value.trim();
    if (trimmed.length < min)
      return [{ field, rule: 'minLength', message: `must have at least ${min} character(s) after trimming` }];
    if (trimmed.length > max)
      return [{ field, rule: 'maxLength', message: `must have at most ${max} characters` }];
    return [];
  },
  optionalString(field: string, value: unknown, max: number): Violation[] {
    if (value === undefined || value === null) return [];
    if (typeof value !== 'string') return [{ field, rule: 'type', message: 'must be a string' }];
    if (value.length > max)
      return [{ field, rule: 'maxLength', message: `must have at most ${max} characters` }];
    return [];
  },
  integerInRange(field: string, value: unknown, min: number, max: number): Violation[] {
    if (typeof value !== 'number' || !Number.isInteger(value))
      return [{ field, rule: 'integer', message: 'must be an integer' }];
    if (value < min || value > max)
      return [{ field, rule: 'range', message: `must be between ${min} and ${max}` }];
    return [];
  },
  boolean(field: string, value: unknown): Violation[] {
    return typeof value === 'boolean' ? [] : [{ field, rule: 'type', message: 'must be true or false' }];
  },
  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): Violation[] {
    return typeof value === 'string' && (allowed as readonly string[]).includes(value)
      ? []
      : [{ field, rule: 'enum', message: `must be one of ${allowed.join(', ')}` }];
  },
  httpUrl(field: string, value: unknown): Violation[] {
    if (typeof value !== 'string')
      return [{ field, rule: 'url', message: 'must be an absolute http(s) URL' }];
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return [{ field, rule: 'url', message: 'must be an absolute http(s) URL' }];
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      return [{ field, rule: 'url', message: 'must be an absolute http(s) URL' }];
    }
    if (url.username !== '' || url.password !== '') {
      return [{ field, rule: 'url', message: 'must not embed credentials' }];
    }
    return [];
  },
  isoInstant(field: string, value: unknown): Violation[] {
    if (!isIsoInstant(value)) {
      return [
        {
          field,
          rule: 'isoDateTime',
          message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z',
        },
      ];
    }
    return [];
  },
  smtpAddress(field: string, value: unknown): Violation[] {
    if (typeof value !== 'string' || value.length > 320 || !SMTP_ADDRESS.test(value)) {
      return [{ field, rule: 'email', message: 'must be a valid SMTP address (local@domain)' }];
    }
    return [];
  },
};
