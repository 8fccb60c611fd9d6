import { ForbiddenException } from '@nestjs/common';
import { Principal, Privilege, privilegesFromClaims } from '@ssync/security';
import { inReach, mailboxInReach, ownerFilter, reachOf, requireOwnable } from './reach';

const alice = (...claims: string[]): Principal => ({
  userId: 'alice',
  name: 'Alice',
  ...privilegesFromClaims(claims),
});
const own = { kind: 'user', userId: 'alice' } as const;

describe('reach (docs/adr/0020)', () => {
  it('organization depth reaches every owner', () => {
    const reach = reachOf(alice('MailboxRead'), Privilege.MailboxRead);
    expect(reach).toEqual({ kind: 'organization' });
    expect(inReach(reach, 'bob')).toBe(true);
  });

  it("user depth reaches only the caller's own records", () => {
    const reach = reachOf(alice('MailboxRead:User'), Privilege.MailboxRead);
    expect(reach).toEqual(own);
    expect(inReach(reach, 'alice')).toBe(true);
    expect(inReach(reach, 'bob')).toBe(false);
  });

  it('each privilege has its own depth: reading everything does not make writing reach everything', () => {
    const p = alice('MailboxRead', 'MailboxWrite:User');
    expect(reachOf(p, Privilege.MailboxRead).kind).toBe('organization');
    expect(reachOf(p, Privilege.MailboxWrite).kind).toBe('user');
  });

  it('a privilege not held, or no caller at all, reaches nothing', () => {
    expect(inReach(reachOf(alice('MailboxRead'), Privilege.MailboxWrite), 'alice')).toBe(false);
    expect(inReach(reachOf(undefined, Privilege.MailboxRead), 'alice')).toBe(false);
  });

  it('organization-only privileges always reach the whole organization', () => {
    expect(reachOf(alice('ApproveEmail', 'MailboxWrite:User'), Privilege.ApproveEmail).kind).toBe(
      'organization',
    );
  });

  it('a mailbox out of reach looks exactly like a missing one', () => {
    expect(mailboxInReach(own, { ownerId: 'bob' })).toBeNull();
    expect(mailboxInReach(own, null)).toBeNull();
    expect(mailboxInReach(own, { ownerId: 'alice' })).toEqual({ ownerId: 'alice' });
  });

  it("a user-depth list shows the caller's own records, and nothing when another owner is asked for", () => {
    expect(ownerFilter(own, undefined)).toBe('alice');
    expect(ownerFilter(own, 'alice')).toBe('alice');
    expect(ownerFilter(own, 'bob')).toBeNull();
    expect(ownerFilter({ kind: 'organization' }, undefined)).toBeUndefined();
    expect(ownerFilter({ kind: 'organization' }, 'bob')).toBe('bob');
    expect(ownerFilter({ kind: 'none' }, undefined)).toBeNull();
  });

  it('at user depth a mailbox can be made or given only to oneself', () => {
    expect(() => requireOwnable(own, undefined)).not.toThrow();
    expect(() => requireOwnable(own, 'alice')).not.toThrow();
    expect(() => requireOwnable(own, 'bob')).toThrow(ForbiddenException);
    expect(() => requireOwnable({ kind: 'organization' }, 'bob')).not.toThrow();
  });
});
