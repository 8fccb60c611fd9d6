/** SPEC M-7. String values: they travel in tokens and must stay stable. */
export enum Privilege {
  MailboxRead = 'MailboxRead',
  MailboxWrite = 'MailboxWrite',
  EmailSettingsAdmin = 'EmailSettingsAdmin',
  ApproveEmail = 'ApproveEmail',
  ProfileAdmin = 'ProfileAdmin',
  /** Holds every privilege. */
  SystemAdmin = 'SystemAdmin',
}

export const ALL_PRIVILEGES: readonly Privilege[] = Object.values(Privilege);

export function isPrivilege(value: unknown): value is Privilege {
  return typeof value === 'string' && (ALL_PRIVILEGES as readonly string[]).includes(value);
}

/**
 * How far a privilege reaches, as Dynamics 365 security roles say it: `User` reaches the records the user owns
 * (a mailbox whose `ownerId` is theirs, and what hangs off it), `Organization` every record (docs/adr/0020).
 */
export type PrivilegeDepth = 'User' | 'Organization';

/** The privileges that can be held at user depth; every other one is organization-wide. */
export const USER_DEPTH_PRIVILEGES: readonly Privilege[] = [Privilege.MailboxRead, Privilege.MailboxWrite];

/** Who made a request: from a verified token (or the operator's SSYNC_DEV_TOKEN). */
export interface Principal {
  readonly userId: string;
  readonly name: string;
  /** Every privilege held, at whatever depth (so a plain `has` answers "may call this at all"). */
  readonly privileges: ReadonlySet<Privilege>;
  /** Those of `privileges` held only at user depth; absent or empty: all at organization depth. */
  readonly userDepth?: ReadonlySet<Privilege>;
}

export function hasPrivilege(principal: Principal, privilege: Privilege): boolean {
  return principal.privileges.has(Privilege.SystemAdmin) || principal.privileges.has(privilege);
}

/** The required privileges the principal lacks, in the order given (empty when it may proceed). */
export function missingPrivileges(principal: Principal, required: readonly Privilege[]): Privilege[] {
  return [...new Set(required)].filter((p) => !hasPrivilege(principal, p));
}

/** A privilege with its depth, as a token's `privileges` claim names it. */
export interface PrivilegeGrant {
  readonly privilege: Privilege;
  readonly depth: PrivilegeDepth;
}

/** `MailboxRead` (organization depth: what every token issued before depths meant), `MailboxRead:User`, `…:Organization`. */
export type PrivilegeClaim = `${Privilege}` | `${Privilege}:${PrivilegeDepth}`;

/** The depth `principal` holds `privilege` at (SystemAdmin: organization), or undefined when it does not hold it. */
export function depthOf(principal: Principal, privilege: Privilege): PrivilegeDepth | undefined {
  if (principal.privileges.has(Privilege.SystemAdmin)) return 'Organization';
  if (!principal.privileges.has(privilege)) return undefined;
  return principal.userDepth?.has(privilege) === true ? 'User' : 'Organization';
}

/** One claim as a grant; throws naming the claim when the name is unknown or the depth does not apply to it. */
export function parsePrivilegeClaim(claim: string): PrivilegeGrant {
  const [name = '', depth = 'Organization', ...rest] = claim.trim().split(':');
  if (!isPrivilege(name)) throw new Error(`unknown privilege ${claim}; valid: ${ALL_PRIVILEGES.join(', ')}`);
  if (rest.length > 0 || (depth !== 'User' && depth !== 'Organization'))
    throw new Error(`unknown depth in ${claim}; write ${name}:User or ${name} (organization depth)`);
  if (depth === 'User' && !USER_DEPTH_PRIVILEGES.includes(name))
    throw new Error(
      `${name} has organization depth only; :User applies to ${USER_DEPTH_PRIVILEGES.join(', ')}`,
    );
  return { privilege: name, depth };
}

/** The claim a token carries for `grant`: a bare name for organization depth, so older readers understand it. */
export function privilegeClaim(grant: PrivilegeGrant): PrivilegeClaim {
  return grant.depth === 'User' ? `${grant.privilege}:User` : grant.privilege;
}

/**
 * Grants as a principal's two sets. A privilege held at both depths is held at organization depth; an empty
 * `userDepth` is left out, so a principal without user-depth grants looks as it did before depths.
 */
export function principalPrivileges(
  grants: Iterable<PrivilegeGrant>,
): Pick<Principal, 'privileges' | 'userDepth'> {
  const privileges = new Set<Privilege>();
  const organization = new Set<Privilege>();
  for (const g of grants) {
    privileges.add(g.privilege);
    if (g.depth === 'Organization') organization.add(g.privilege);
  }
  const userDepth = new Set([...privileges].filter((p) => !organization.has(p)));
  return userDepth.size > 0 ? { privileges, userDepth } : { privileges };
}

/**
 * A token's `privileges` claim as a principal's sets. What this version cannot read (an unknown name, `:User` on
 * an organization-only privilege) is dropped: a token never gains by a claim it does not understand.
 */
export function privilegesFromClaims(
  claims: readonly unknown[],
): Pick<Principal, 'privileges' | 'userDepth'> {
  return principalPrivileges(
    claims.flatMap((c) => {
      if (typeof c !== 'string') return [];
      try {
        return [parsePrivilegeClaim(c)];
      } catch {
        return [];
      }
    }),
  );
}

/**
 * Parses a comma-separated list (`MailboxRead:User,ApproveEmail`) into claims in canonical form (organization
 * depth as a bare name; a privilege given at both depths once, at organization depth), rejecting unknown names
 * and depths with a message that lists the valid ones.
 */
export function parsePrivileges(list: string): PrivilegeClaim[] {
  const entries = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = entries.filter((n) => !isPrivilege(n.split(':')[0]));
  if (unknown.length > 0) {
    throw new Error(`unknown privilege(s) ${unknown.join(', ')}; valid: ${ALL_PRIVILEGES.join(', ')}`);
  }
  return canonicalClaims(entries.map(parsePrivilegeClaim));
}

/** Grants as claims, each privilege once, at the widest depth given. */
export function canonicalClaims(grants: Iterable<PrivilegeGrant>): PrivilegeClaim[] {
  const { privileges, userDepth } = principalPrivileges(grants);
  return [...privileges].map((privilege) =>
    privilegeClaim({ privilege, depth: userDepth?.has(privilege) === true ? 'User' : 'Organization' }),
  );
}
