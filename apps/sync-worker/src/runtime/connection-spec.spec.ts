import { randomBytes } from 'node:crypto';
import { Mailbox, ProfileSettings } from '@ssync/domain';
import { Keyring, SecretBox } from '@ssync/security';
import { ConnectionSetupError, connectionSpec } from './connection-spec';

const oldBox = new SecretBox(new Keyring({ A: randomBytes(32) }, 'A'));
const newBox = new SecretBox(new Keyring({ B: randomBytes(32) }, 'B'));
const profile = {
  autoDiscoverServerLocation: false,
  incomingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
  outgoingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
  authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
  userName: 'CONTOSO\\svc',
  password: oldBox.seal('Svc-Passw0rd!', 'profile:p-1:password'),
  useSameSettingsForOutgoing: true,
  incomingAuthenticationProtocol: 'NTLM',
  outgoingAuthenticationProtocol: 'NTLM',
  maxConcurrentConnections: 4,
} as ProfileSettings;
const mailbox = { mailboxId: 'm-1', emailAddress: 'ada@contoso.test', credentials: null } as Mailbox;

describe('connectionSpec: sealed credentials (docs/adr/0019)', () => {
  it('opens the profile password with the record it was sealed for', () => {
    const spec = connectionSpec(
      { profileId: 'p-1', profile, mailbox, open: (s, c) => oldBox.open(s, c), timeoutMs: 1000 },
      'incoming',
    );
    expect(spec.auth).toMatchObject({ userName: 'svc', domain: 'CONTOSO', password: 'Svc-Passw0rd!' });
  });

  it('fails as configured (permanent), naming the missing key, when the keyring no longer has it', () => {
    const connect = () =>
      connectionSpec(
        { profileId: 'p-1', profile, mailbox, open: (s, c) => newBox.open(s, c), timeoutMs: 1000 },
        'incoming',
      );
    expect(connect).toThrow(ConnectionSetupError);
    expect(connect).toThrow(/^CredentialsUnreadable: sealed with key 'A', which is not in the keyring$/);
  });
});
