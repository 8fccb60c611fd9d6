import { randomBytes } from 'node:crypto';
import { Keyring } from './keyring';
import { SecretBox } from './secret-box';
import { credentialSealContext } from './credential-context';

describe('credentialSealContext', () => {
  it('keeps the strings that stored credentials were sealed under, byte for byte', () => {
    expect(credentialSealContext('profile', 'p-1', 'password')).toBe('profile:p-1:password');
    expect(credentialSealContext('profile', 'p-1', 'outgoingPassword')).toBe('profile:p-1:outgoingPassword');
    expect(credentialSealContext('mailbox', 'm-1', 'password')).toBe('mailbox:m-1:password');
  });

  it('opens a value sealed under the literal string it replaced', () => {
    const box = new SecretBox(new Keyring({ k1: randomBytes(32) }, 'k1'));
    const sealed = box.seal('S3cret!', 'mailbox:0f1e2d3c-aaaa-4bbb-8ccc-123456789abc:password');
    expect(
      box.open(sealed, credentialSealContext('mailbox', '0f1e2d3c-aaaa-4bbb-8ccc-123456789abc', 'password')),
    ).toBe('S3cret!');
  });

  it('tells apart the records and fields of one id', () => {
    const contexts = new Set([
      credentialSealContext('profile', 'x', 'password'),
      credentialSealContext('profile', 'x', 'outgoingPassword'),
      credentialSealContext('mailbox', 'x', 'password'),
    ]);
    expect(contexts.size).toBe(3);
  });
});
