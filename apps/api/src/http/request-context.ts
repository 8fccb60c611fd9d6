import { Request } from 'express';
import { ValidationFailed } from './errors';

/** The acting user: the authenticated principal, else the anonymous caller (until issue #3's auth is on). */
export function actorOf(req: Request): string {
  const principal = (req as Request & { principal?: { userId?: string } }).principal;
  return principal?.userId ?? 'anonymous';
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkId(field: string, value: string): string {
  if (!ID.test(value))
    throw new ValidationFailed([{ field, rule: 'id', message: 'must be 1–64 letters, digits, "-" or "_"' }]);
  return value;
}

/** `If-Match: "7"` / `X-Min-Version: 7` → 7. */
export function versionHeader(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(raw.trim());
  if (!m?.[1])
    throw new ValidationFailed([{ field, rule: 'version', message: 'must be a version number such as "3"' }]);
  return Number(m[1]);
}
