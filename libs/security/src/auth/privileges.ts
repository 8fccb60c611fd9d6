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

/** Who made a request: from a verified token (or the operator's SSYNC_DEV_TOKEN). */
export interface Principal {
  readonly userId: string;
  readonly name: string;
  readonly privileges: ReadonlySet<Privilege>;
}

export function hasPrivilege(principal: Principal, privilege: Privilege): boolean {
  return principal.privileges.has(Privilege.SystemAdmin) || principal.privileges.has(privilege);
}

/** The required privileges the principal lacks, in the order given (empty when it may proceed). */
export function missingPrivileges(principal: Principal, required: readonly Privilege[]): Privilege[] {
  return [...new Set(required)].filter((p) => !hasPrivilege(principal, p));
}

/**
 * Parses a comma-separated list (`MailboxRead,MailboxWrite`), rejecting unknown names with a message that lists
 * the valid ones.
 */
export function parsePrivileges(list: string): Privilege[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !isPrivilege(n));
  if (unknown.length > 0) {
    throw new Error(`unknown privilege(s) ${unknown.join(', ')}; valid: ${ALL_PRIVILEGES.join(', ')}`);
  }
  return [...new Set(names as Privilege[])];
}
