import { Privilege, parsePrivilegeClaim, principalPrivileges } from '@ssync/security';
import { sessionOf } from './session';

const principal = (...claims: string[]) => ({
  userId: 'u-ann',
  name: 'Ann',
  ...principalPrivileges(claims.map(parsePrivilegeClaim)),
});

describe('sessionOf', () => {
  it('names the privileges held at user depth, so the console can say a list holds only your mailboxes', () => {
    expect(sessionOf(principal('MailboxRead:User', 'MailboxWrite:User', 'ApproveEmail'))).toEqual({
      userId: 'u-ann',
      name: 'Ann',
      privileges: [Privilege.MailboxRead, Privilege.MailboxWrite, Privilege.ApproveEmail],
      userDepth: [Privilege.MailboxRead, Privilege.MailboxWrite],
    });
  });

  it('organization-wide grants and SystemAdmin have no user depth', () => {
    expect(sessionOf(principal('MailboxRead', 'MailboxRead:User')).userDepth).toEqual([]);
    const admin = sessionOf(principal('SystemAdmin'));
    expect(admin.userDepth).toEqual([]);
    expect(admin.privileges).toContain(Privilege.MailboxWrite);
  });
});
