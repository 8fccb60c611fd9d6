import { MailboxCommand, MailboxEvent, MailboxState, mailboxDecider } from '@ssync/domain';
import { CommandEnvelope } from '@ssync/messaging';
import { CLAIM_RETURN_MARGIN_MS, MailboxFactSource, commandLinger, withOwnerFacts } from './mailbox-owner';

const meta = { commandId: 'c-1', actor: 'alice', issuedAt: '2026-01-01T10:00:00.000Z', mailboxId: 'm-1' };

function mailbox(kind: 'User' | 'Queue', serverProfileId: string | null): MailboxState {
  const provisioned: MailboxEvent = {
    type: 'MailboxProvisioned',
    data: {
      mailboxId: 'm-1',
      kind,
      emailAddressStatus: 'PendingApproval',
      settings: {
        name: 'M',
        emailAddress: 'm@contoso.com',
        ownerId: 'o',
        serverProfileId,
        incomingEmailDeliveryMethod: 'ServerSideSync',
        outgoingEmailDeliveryMethod: 'ServerSideSync',
        actDeliveryMethod: 'ServerSideSync',
        syncOnlyFromThisOrg: false,
      },
    },
  };
  return mailboxDecider.evolve(mailboxDecider.initialState(), provisioned);
}

const facts: MailboxFactSource = {
  profile: (id) => ({
    exists: id !== 'gone',
    active: id === 'p-active',
    authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
  }),
  approvalRequired: (kind) => kind === 'User',
};

describe('withOwnerFacts: facts that depend on the mailbox come from the state being decided on', () => {
  it('RequestTest gets the approval rule of the mailbox kind and the facts of its current profile', () => {
    const request: MailboxCommand = { ...meta, type: 'RequestTest', approvalRequired: false };
    expect(withOwnerFacts(request, mailbox('User', 'p-active'), facts)).toMatchObject({
      approvalRequired: true,
      serverProfile: { exists: true, active: true },
    });
    expect(withOwnerFacts(request, mailbox('Queue', 'p-inactive'), facts)).toMatchObject({
      approvalRequired: false,
      serverProfile: { exists: true, active: false },
    });
    expect(withOwnerFacts(request, mailbox('Queue', null), facts)).not.toHaveProperty('serverProfile');
  });

  it('credentials learn how the current profile authenticates; a mailbox without profile has none', () => {
    const set: MailboxCommand = {
      ...meta,
      type: 'SetMailboxCredentials',
      credentials: null,
      profileAuthenticateUsing: null,
    };
    expect(withOwnerFacts(set, mailbox('User', 'p-active'), facts)).toMatchObject({
      profileAuthenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
    });
    expect(withOwnerFacts(set, mailbox('User', null), facts)).toMatchObject({
      profileAuthenticateUsing: null,
    });
  });

  it('leaves other commands, and commands on unknown mailboxes, as they are', () => {
    const approve: MailboxCommand = { ...meta, type: 'ApproveEmail' };
    expect(withOwnerFacts(approve, mailbox('User', 'p-active'), facts)).toBe(approve);
    const request: MailboxCommand = { ...meta, type: 'RequestTest', approvalRequired: false };
    expect(withOwnerFacts(request, mailboxDecider.initialState(), facts)).toBe(request);
  });
});

describe("how long a mailbox command waits for its partition's transaction", () => {
  const envelope = (type: MailboxCommand['type']) => ({ type }) as CommandEnvelope<MailboxCommand>;

  it("lets a poll's outcome wait longer than its claim, which holds a connection slot and the poll's start", () => {
    const linger = commandLinger(100, 250);
    expect(linger(envelope('StartPoll'))).toBe(100);
    expect(linger(envelope('RecordSyncOutcome'))).toBe(250);
  });

  it('lets a claim made ahead wait like an outcome, if it is still back before the start it reserves', () => {
    const now = Date.parse('2026-03-01T10:00:00.000Z');
    const linger = commandLinger(100, 250, () => now);
    const claim = (notBefore?: string) =>
      ({
        type: 'StartPoll',
        command: { type: 'StartPoll', ...(notBefore === undefined ? {} : { notBefore }) },
      }) as CommandEnvelope<MailboxCommand>;
    expect(linger(claim())).toBe(100);
    expect(linger(claim('2026-03-01T10:00:00.500Z'))).toBe(250);
    expect(linger(claim('2026-03-01T10:00:00.330Z'))).toBe(330 - CLAIM_RETURN_MARGIN_MS);
    expect(linger(claim('2026-03-01T10:00:00.200Z'))).toBe(100);
  });

  it('keeps every other command at the short wait (Test & Enable waits for its results)', () => {
    const linger = commandLinger(100, 250);
    expect(linger(envelope('RecordTestResult'))).toBe(100);
    expect(linger(envelope('UpdateMailbox'))).toBe(100);
  });
});
