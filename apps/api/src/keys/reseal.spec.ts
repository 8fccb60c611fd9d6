import { randomBytes } from 'node:crypto';
import {
  MailboxCommand,
  MailboxEvent,
  MailboxState,
  ProfileCommand,
  ProfileEvent,
  ProfileState,
  SealedSecret,
  mailboxDecider,
  profileDecider,
  sealedKeyId,
} from '@ssync/domain';
import { CommandResult, SendCommand } from '@ssync/messaging';
import { Keyring, SecretBox } from '@ssync/security';
import { ResealPort, keyCensus, resealCredentials, sealedCredentials, secretContext } from './reseal';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const boxA = new SecretBox(new Keyring({ A: keyA }, 'A'));
const boxAB = new SecretBox(new Keyring({ A: keyA, B: keyB }, 'B'));
const boxB = new SecretBox(new Keyring({ B: keyB }, 'B'));

const profileSettings = (id: string) => ({
  name: id,
  description: null,
  autoDiscoverServerLocation: false,
  incomingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
  outgoingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
  authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile' as const,
  userName: 'svc',
  password: boxA.seal(`pw-${id}`, `profile:${id}:password`),
  useSameSettingsForOutgoing: false,
  outgoingUserName: 'out',
  outgoingPassword: boxA.seal(`out-${id}`, `profile:${id}:outgoingPassword`),
  incomingAuthenticationProtocol: 'AutoDetect' as const,
  outgoingAuthenticationProtocol: 'AutoDetect' as const,
  processEmailFrom: null,
  minimumPollingIntervalMinutes: 1,
  maxConcurrentConnections: 10,
  moveFailedEmailsToUndeliverableFolder: false,
  ownerId: 'admin',
});

/** Owners in memory, deciding with the real deciders: what the CommandProcessors do, without Kafka. */
class FakeOwners {
  readonly profiles = new Map<string, { state: ProfileState }>();
  readonly mailboxes = new Map<string, { state: MailboxState }>();
  sent: SendCommand<ProfileCommand | MailboxCommand>[] = [];
  /** Runs before a command is decided: a change made meanwhile. */
  meanwhile: () => void = () => undefined;

  addProfile(id: string): void {
    const created: ProfileEvent = {
      type: 'ProfileCreated',
      data: { profileId: id, settings: profileSettings(id) },
    };
    this.profiles.set(id, { state: profileDecider.evolve(profileDecider.initialState(), created) });
  }

  addMailbox(id: string): void {
    const events: MailboxEvent[] = [
      {
        type: 'MailboxProvisioned',
        data: {
          mailboxId: id,
          kind: 'User',
          emailAddressStatus: 'Empty',
          settings: {
            name: id,
            emailAddress: null,
            ownerId: 'u',
            serverProfileId: null,
            incomingEmailDeliveryMethod: 'None',
            outgoingEmailDeliveryMethod: 'None',
            actDeliveryMethod: 'None',
            syncOnlyFromThisOrg: false,
          },
        },
      },
      {
        type: 'MailboxCredentialsSet',
        data: {
          mailboxId: id,
          credentials: { userName: id, password: boxA.seal(`pw-${id}`, `mailbox:${id}:password`) },
          resetAreas: [],
        },
      },
    ];
    this.mailboxes.set(id, { state: events.reduce(mailboxDecider.evolve, mailboxDecider.initialState()) });
  }

  port(box: SecretBox): ResealPort {
    return {
      activeKeyId: box.activeKeyId,
      reseal: (sealed, context) => box.reseal(sealed, context),
      sendBatch: (commands) => {
        this.sent.push(...commands);
        this.meanwhile();
        return Promise.resolve(commands.map((c) => Promise.resolve(this.decide(c))));
      },
    };
  }

  private decide(
    c: SendCommand<ProfileCommand | MailboxCommand>,
  ): CommandResult<ProfileState | MailboxState> {
    const base = {
      commandId: c.commandId ?? '',
      correlationId: '',
      replyTo: '',
      aggregateType: c.aggregateType,
      aggregateId: c.aggregateId,
      duplicate: false,
      version: 1,
      error: null,
    };
    if (c.aggregateType === 'profile') {
      const entry = this.profiles.get(c.aggregateId)!;
      const events = profileDecider.decide(c.command as ProfileCommand, entry.state);
      entry.state = events.reduce(profileDecider.evolve, entry.state);
      return { ...base, accepted: true, state: entry.state, events: this.listed(events) };
    }
    const entry = this.mailboxes.get(c.aggregateId)!;
    const events = mailboxDecider.decide(c.command as MailboxCommand, entry.state);
    entry.state = events.reduce(mailboxDecider.evolve, entry.state);
    return { ...base, accepted: true, state: entry.state, events: this.listed(events) };
  }

  private listed(events: { type: string }[]) {
    return events.map((e, i) => ({ type: e.type, sequence: i + 2, eventId: `e-${i}` }));
  }

  credentials() {
    return sealedCredentials(this.profiles.entries(), this.mailboxes.entries());
  }
}

describe('reseal (key rotation, docs/adr/0019)', () => {
  let owners: FakeOwners;
  beforeEach(() => {
    owners = new FakeOwners();
    for (const id of ['p-1', 'p-2']) owners.addProfile(id);
    for (let i = 1; i <= 5; i += 1) owners.addMailbox(`m-${i}`);
  });

  it('counts every credential by the key that seals it', () => {
    expect(keyCensus(owners.credentials(), 'B')).toEqual({
      activeKeyId: 'B',
      total: 9,
      byKeyId: { A: 9 },
      underOldKeys: 9,
    });
  });

  it('reseals everything under the active key, one command per aggregate, with progress per batch', async () => {
    const progress: number[] = [];
    const report = await resealCredentials(
      owners.credentials(),
      owners.port(boxAB),
      (p) => progress.push(p.done),
      3,
    );
    expect(report).toMatchObject({ activeKeyId: 'B', total: 9, done: 9, resealed: 9, skipped: 0, failed: 0 });
    expect(owners.sent).toHaveLength(7);
    expect(progress).toEqual([5, 8, 9]);
    expect(keyCensus(owners.credentials(), 'B')).toMatchObject({ byKeyId: { B: 9 }, underOldKeys: 0 });
    // Without key A, every credential still opens to what was sealed, on the record it was sealed for.
    for (const c of owners.credentials()) {
      const plain = boxB.open(c.sealed, secretContext(c));
      expect(plain).toBe(c.field === 'outgoingPassword' ? `out-${c.aggregateId}` : `pw-${c.aggregateId}`);
    }
  });

  it('is resumable: a second run finds nothing to do and sends nothing', async () => {
    await resealCredentials(owners.credentials(), owners.port(boxAB));
    owners.sent = [];
    const again = await resealCredentials(owners.credentials(), owners.port(boxAB));
    expect(again).toMatchObject({ total: 0, resealed: 0 });
    expect(owners.sent).toEqual([]);
  });

  it('does not overwrite a credential set again while the run was under way', async () => {
    const credentials = owners.credentials();
    const newer = boxAB.seal('newer', 'mailbox:m-1:password');
    owners.meanwhile = () => {
      const entry = owners.mailboxes.get('m-1')!;
      entry.state = mailboxDecider.evolve(entry.state, {
        type: 'MailboxCredentialsSet',
        data: { mailboxId: 'm-1', credentials: { userName: 'm-1', password: newer }, resetAreas: [] },
      });
    };
    const report = await resealCredentials(credentials, owners.port(boxAB));
    expect(report).toMatchObject({ resealed: 8, skipped: 1, failed: 0 });
    const m1 = owners.mailboxes.get('m-1')!.state;
    expect(m1.status !== 'None' && m1.mailbox.credentials?.password).toBe(newer);
  });

  it('reports a credential under a key the keyring lost, reseals the others, leaves current ones', async () => {
    const current = boxB.seal('x', 'mailbox:m-9:password');
    const credentials = [
      ...owners.credentials(),
      { aggregateType: 'mailbox' as const, aggregateId: 'm-9', field: 'password' as const, sealed: current },
      {
        aggregateType: 'mailbox' as const,
        aggregateId: 'm-8',
        field: 'password' as const,
        sealed: `enc:v1:Z:${'A'.repeat(16)}:${'A'.repeat(22)}==:AAAA` as SealedSecret,
      },
    ];
    const report = await resealCredentials(credentials, owners.port(boxAB));
    expect(report).toMatchObject({ total: 10, resealed: 9, failed: 1 });
    expect(report.failures).toEqual([
      {
        aggregateType: 'mailbox',
        aggregateId: 'm-8',
        reason: expect.stringMatching(/key 'Z'.*not in the keyring/),
      },
    ]);
    expect(JSON.stringify(report)).not.toMatch(/pw-|enc:v1/);
  });

  it('sends only sealed values, each under the active key', async () => {
    await resealCredentials(owners.credentials(), owners.port(boxAB));
    const sent = JSON.stringify(owners.sent);
    expect(sent).not.toMatch(/pw-|out-/);
    for (const s of owners.sent) {
      const c = s.command;
      const tos =
        c.type === 'ResealProfileCredentials'
          ? Object.values(c.resealed).map((r) => r.to)
          : c.type === 'ResealMailboxCredentials'
            ? [c.password.to]
            : [];
      for (const to of tos) expect(sealedKeyId(to)).toBe('B');
    }
  });
});
