import { randomUUID } from 'node:crypto';
import { NextFunction, Request, Response } from 'express';
import { withLogContext } from '@ssync/common';
import { ValidationFailed } from './errors';

/** The acting user: the authenticated principal, else the anonymous caller (until issue #3's auth is on). */
export function actorOf(req: Request): string {
  const principal = (req as Request & { principal?: { userId?: string } }).principal;
  return principal?.userId ?? 'anonymous';
}

/** A record's id, as every `{id}` in a path is checked (and documented, http/openapi.ts). */
export const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A user's id: the owner ids mailboxes and profiles carry. */
export const USER_ID = /^[A-Za-z0-9_.@:-]{1,128}$/;

export function checkId(field: string, value: string): string {
  if (!ID.test(value))
    throw new ValidationFailed([{ field, rule: 'id', message: 'must be 1–64 letters, digits, "-" or "_"' }]);
  return value;
}

const VERSION = /^(?:W\/)?"?([0-9]{1,9})"?$/;
/** What a version header may hold, for the document: empty (none), or a version with the spaces trim() drops. */
export const VERSION_HEADER_PATTERN = `^[ \\t]*(${VERSION.source.slice(1, -1)})?[ \\t]*$`;

/** `If-Match: "7"` / `X-Min-Version: 7` → 7. */
export function versionHeader(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = VERSION.exec(raw.trim());
  if (!m?.[1])
    throw new ValidationFailed([{ field, rule: 'version', message: 'must be a version number such as "3"' }]);
  return Number(m[1]);
}

export const IDEMPOTENCY_KEY_MAX_LENGTH = 200;

/** An `Idempotency-Key`, when given, has 1–200 characters. */
export function idempotencyKeyHeader(raw: string | undefined): string | undefined {
  if (raw !== undefined && (raw.length < 1 || raw.length > IDEMPOTENCY_KEY_MAX_LENGTH))
    throw new ValidationFailed([
      {
        field: 'Idempotency-Key',
        rule: 'length',
        message: `must have 1–${IDEMPOTENCY_KEY_MAX_LENGTH} characters`,
      },
    ]);
  return raw;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request runs with a correlation id: the caller's `X-Correlation-Id` when it is a plain token, else a new
 * one. It is echoed in the response, written on each log line of the request, and carried by the commands the
 * request sends (and so by their events, in the audit trail).
 */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-correlation-id');
  const correlationId = given !== undefined && CORRELATION_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Correlation-Id', correlationId);
  withLogContext({ correlationId }, next);
}
