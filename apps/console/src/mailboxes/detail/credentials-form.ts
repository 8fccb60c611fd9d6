import type { Violation } from '../../api/client';
import { violationsByField } from '../../ui/violations';

const FIELDS: readonly string[] = ['userName', 'password'];

/**
 * Where each of the API's violations of a credentials save shows: under its field, or above the form when no field
 * here can show it (the profile does not use mailbox credentials, say). The API names the request's fields
 * (`userName`); the domain names them inside `credentials` (`credentials.userName`): both are the same field.
 */
export function credentialViolations(violations: readonly Violation[]): {
  byField: Map<string, string>;
  others: Violation[];
} {
  const named = violations.map((v) => ({ ...v, field: v.field.replace(/^credentials\./, '') }));
  return {
    byField: violationsByField(named.filter((v) => FIELDS.includes(v.field))),
    others: named.filter((v) => !FIELDS.includes(v.field)),
  };
}
