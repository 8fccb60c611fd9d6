import {
  Principal,
  Privilege,
  depthOf,
  hasPrivilege,
  parsePrivilegeClaim,
  parsePrivileges,
  principalPrivileges,
  privilegesFromClaims,
} from './privileges';

const principal = (claims: string[]): Principal => ({
  userId: 'u',
  name: 'U',
  ...privilegesFromClaims(claims),
});

describe('privilege depth', () => {
  it('a bare name is organization depth, so tokens issued before depths keep their meaning', () => {
    expect(depthOf(principal(['MailboxRead']), Privilege.MailboxRead)).toBe('Organization');
    expect(principal(['MailboxRead']).userDepth).toBeUndefined();
  });

  it(':User limits a mailbox privilege to the records the user owns', () => {
    const p = principal(['MailboxRead:User', 'MailboxWrite']);
    expect(depthOf(p, Privilege.MailboxRead)).toBe('User');
    expect(depthOf(p, Privilege.MailboxWrite)).toBe('Organization');
  });

  it('a privilege held at user depth is still held, so the guard lets the caller in', () => {
    expect(hasPrivilege(principal(['MailboxRead:User']), Privilege.MailboxRead)).toBe(true);
  });

  it('a privilege not held has no depth', () => {
    expect(depthOf(principal(['MailboxRead:User']), Privilege.MailboxWrite)).toBeUndefined();
  });

  it('holding both depths is holding organization depth', () => {
    expect(depthOf(principal(['MailboxRead:User', 'MailboxRead']), Privilege.MailboxRead)).toBe(
      'Organization',
    );
    expect(depthOf(principal(['MailboxRead', 'MailboxRead:User']), Privilege.MailboxRead)).toBe(
      'Organization',
    );
  });

  it('SystemAdmin reaches the whole organization, whatever else the token says', () => {
    expect(depthOf(principal(['SystemAdmin', 'MailboxRead:User']), Privilege.MailboxRead)).toBe(
      'Organization',
    );
  });

  it('a token claim this version cannot read grants nothing', () => {
    const p = principal(['ApproveEmail:User', 'MailboxRead:Team', 'Nope', 'MailboxWrite:User']);
    expect([...p.privileges]).toEqual([Privilege.MailboxWrite]);
    expect(depthOf(p, Privilege.ApproveEmail)).toBeUndefined();
  });

  it('principalPrivileges leaves userDepth out when every grant is organization-wide', () => {
    expect(principalPrivileges([{ privilege: Privilege.ApproveEmail, depth: 'Organization' }])).toEqual({
      privileges: new Set([Privilege.ApproveEmail]),
    });
  });
});

describe('parsing privileges', () => {
  it('reads a name with an optional depth', () => {
    expect(parsePrivilegeClaim(' MailboxWrite:User ')).toEqual({
      privilege: Privilege.MailboxWrite,
      depth: 'User',
    });
    expect(parsePrivilegeClaim('MailboxRead:Organization')).toEqual({
      privilege: Privilege.MailboxRead,
      depth: 'Organization',
    });
  });

  it('refuses :User on an organization-only privilege, naming the ones that have it', () => {
    expect(() => parsePrivilegeClaim('ApproveEmail:User')).toThrow(
      'ApproveEmail has organization depth only; :User applies to MailboxRead, MailboxWrite',
    );
    expect(() => parsePrivilegeClaim('SystemAdmin:User')).toThrow(/organization depth only/);
  });

  it('refuses a depth it does not know', () => {
    expect(() => parsePrivilegeClaim('MailboxRead:Team')).toThrow(/unknown depth in MailboxRead:Team/);
    expect(() => parsePrivilegeClaim('MailboxRead:User:User')).toThrow(/unknown depth/);
  });

  it('writes a list in canonical form: organization depth bare, each privilege once at its widest', () => {
    expect(parsePrivileges('MailboxRead:User, MailboxWrite:Organization, MailboxRead ,ApproveEmail')).toEqual(
      ['MailboxRead', 'MailboxWrite', 'ApproveEmail'],
    );
    expect(parsePrivileges('MailboxRead:User,MailboxWrite:User')).toEqual([
      'MailboxRead:User',
      'MailboxWrite:User',
    ]);
  });

  it('names every unknown entry of a list', () => {
    expect(() => parsePrivileges('Nope:User,MailboxRead,mailboxwrite')).toThrow(
      /unknown privilege\(s\) Nope:User, mailboxwrite; valid: MailboxRead/,
    );
  });
});
