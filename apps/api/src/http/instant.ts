import { ValidateBy } from 'class-validator';
import { isIsoInstant } from '@ssync/domain';

/** RFC 3339 (OpenAPI's `format: date-time`): the domain's instant with its seconds required. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time on a real calendar day. class-validator's strict ISO 8601 check reads years below 100 as
 * 19xx and refuses 0090-03-14, which the document allows.
 */
export function isInstant(value: unknown): boolean {
  return typeof value === 'string' && RFC3339.test(value) && isIsoInstant(value);
}

/** The document's pattern for an instant, before the calendar check. */
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
