import { ForbiddenException } from '@nestjs/common';
import { Request } from 'express';
import { PRINCIPAL_REQUEST_KEY, Principal, Privilege, hasPrivilege } from '@ssync/security';

function principalOf(req: Request): Principal | undefined {
  return (req as Request & { [PRINCIPAL_REQUEST_KEY]?: Principal })[PRINCIPAL_REQUEST_KEY];
}

function forbidden(missing: Privilege[], message: string): ForbiddenException {
  return new ForbiddenException({ statusCode: 403, error: 'Forbidden', message, missingPrivileges: missing });
}

/**
 * Privileges that depend on the request body (M-7: setting a profile or a delivery method on a mailbox also needs
 * EmailSettingsAdmin). Same 403 body as the guard's.
 */
export function requirePrivileges(req: Request, ...required: Privilege[]): void {
  const principal = principalOf(req);
  const missing = principal ? required.filter((p) => !hasPrivilege(principal, p)) : required;
  if (missing.length > 0)
    throw forbidden(missing, `missing privilege${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
}

/** Any one of `options` will do (e.g. profiles may be read by profile admins and mailbox readers). */
export function requireAnyPrivilege(req: Request, ...options: Privilege[]): void {
  const principal = principalOf(req);
  if (principal && options.some((p) => hasPrivilege(principal, p))) return;
  throw forbidden(options, `missing privilege: one of ${options.join(', ')}`);
}

/** The user named in the path themself, or anyone holding `privilege` (e.g. a user's own alerts, or an admin). */
export function requireSelfOrPrivilege(
  req: Request,
  userId: string,
  privilege: Privilege,
  what: string,
): void {
  const principal = principalOf(req);
  if (principal && (principal.userId === userId || hasPrivilege(principal, privilege))) return;
  throw forbidden([privilege], `only the user themself or a holder of ${privilege} may ${what}`);
}
