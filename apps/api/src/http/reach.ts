import { ForbiddenException } from '@nestjs/common';
import { Request } from 'express';
import { PRINCIPAL_REQUEST_KEY, Principal, Privilege, depthOf } from '@ssync/security';

/**
 * Whose records a request reaches under one privilege (docs/adr/0020): every owner's (organization depth), only
 * the caller's own (user depth), or none (the privilege is not held). Records are mailboxes by their `ownerId`,
 * and what hangs off a mailbox (its activities, ledger, latency, audit) by its mailbox's owner; a job by who
 * started it. A record out of reach is answered as one that does not exist, so ids cannot be probed.
 */
export type Reach =
  | { readonly kind: 'organization' }
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'none' };

export const WHOLE_ORGANIZATION: Reach = { kind: 'organization' };

export function reachOf(principal: Principal | undefined, privilege: Privilege): Reach {
  const depth = principal ? depthOf(principal, privilege) : undefined;
  if (principal === undefined || depth === undefined) return { kind: 'none' };
  return depth === 'Organization' ? WHOLE_ORGANIZATION : { kind: 'user', userId: principal.userId };
}

/** The reach of the authenticated caller of `req` under `privilege`. */
export function requestReach(req: Request, privilege: Privilege): Reach {
  return reachOf(
    (req as Request & { [PRINCIPAL_REQUEST_KEY]?: Principal })[PRINCIPAL_REQUEST_KEY],
    privilege,
  );
}

/** Whether a record owned by `ownerId` is in reach. */
export function inReach(reach: Reach, ownerId: string | null | undefined): boolean {
  switch (reach.kind) {
    case 'organization':
      return true;
    case 'user':
      return ownerId === reach.userId;
    case 'none':
      return false;
  }
}

/** A mailbox (or nothing) as the caller may see it: null when missing or out of reach, alike. */
export function mailboxInReach<T extends { ownerId: string }>(
  reach: Reach,
  view: T | null | undefined,
): T | null {
  return view && inReach(reach, view.ownerId) ? view : null;
}

/**
 * A list's owner filter: `undefined` lists every owner; otherwise only this owner. `null`: nothing is in reach
 * (or the caller asked for another owner's records), so the list is empty.
 */
export function ownerFilter(reach: Reach, asked: string | undefined): string | undefined | null {
  switch (reach.kind) {
    case 'organization':
      return asked;
    case 'user':
      return asked === undefined || asked === reach.userId ? reach.userId : null;
    case 'none':
      return null;
  }
}

/**
 * At user depth a record can only be made or given to oneself: setting another owner would write outside the
 * caller's reach (Dynamics asks for the Assign privilege for that). A 403, not a 404: no record is named.
 */
export function requireOwnable(reach: Reach, ownerId: string | undefined): void {
  if (ownerId === undefined || inReach(reach, ownerId)) return;
  throw new ForbiddenException({
    statusCode: 403,
    error: 'Forbidden',
    message: 'at user depth a mailbox can only be owned by the caller: ownerId must be your own user id',
    missingPrivileges: [Privilege.MailboxWrite],
  });
}
