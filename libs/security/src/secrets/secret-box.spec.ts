import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Test } from '@nestjs/testing';
import { isSealedSecret, SealedSecret } from '@ssync/domain';
import { Keyring, KeyringConfigError } from './keyring';
import { SecretBox, SecretBoxError, SECURITY_KEYRING, parseSealedSecret } from './secret-box';
import { SecretsModule } from './secrets.module';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const box = (keys: Record<string, Buffer>, active: string) => new SecretBox(new Keyring(keys, active));

/** Replaces field `index` (0 = keyId, 1 = iv, 2 = tag, 3 = ciphertext) of a sealed value. */
function withField(sealed: string, index: number, change: (b: Buffer) => Buffer): string {
  const parts = sealed.slice('enc:v1:'.length).split(':');
  parts[index] = change(Buffer.from(parts[index] ?? '', 'base64')).toString('base64');
  return `enc:v1:${parts.join(':')}`;
}
const flipFirstBit = (b: Buffer): Buffer => {
  const c = Buffer.from(b);
  c[0] = (c[0] ?? 0) ^ 1;
  return c;
};

describe('SecretBox', () => {
  const secrets = box({ k1 }, 'k1');

  it('seals to the domain format and opens back', () => {
    const sealed = secrets.seal('p@ssw0rd ünïcødé', 'mailbox:m-1:password');
    expect(isSealedSecret(sealed)).toBe(true);
    expect(sealed).toMatch(/^enc:v1:k1:/);
    expect(sealed).not.toContain('p@ssw0rd');
    const { iv, tag } = parseSealedSecret(sealed);
    expect(iv).toHaveLength(12);
    expect(tag).toHaveLength(16);
    expect(secrets.open(sealed, 'mailbox:m-1:password')).toBe('p@ssw0rd ünïcødé');
  });

  it('round-trips an empty string, and without a context', () => {
    expect(secrets.open(secrets.seal(''))).toBe('');
    expect(secrets.open(secrets.seal('x'))).toBe('x');
  });

  it('uses a fresh IV each time', () => {
    expect(secrets.seal('same')).not.toBe(secrets.seal('same'));
  });

  it.each([
    ['ciphertext', 3],
    ['tag', 2],
    ['iv', 1],
  ])('rejects a tampered %s', (_field, index) => {
    const sealed = secrets.seal('secret', 'ctx');
    const tampered = withField(sealed, index, flipFirstBit);
    expect(() => secrets.open(tampered, 'ctx')).toThrow(SecretBoxError);
    expect(() => secrets.open(tampered, 'ctx')).toThrow(expect.objectContaining({ code: 'decrypt-failed' }));
  });

  it('rejects a value moved to another context (record or field)', () => {
    const sealed = secrets.seal('secret', 'mailbox:m-1:password');
    expect(() => secrets.open(sealed, 'mailbox:m-2:password')).toThrow(/wrong context/);
    expect(() => secrets.open(sealed)).toThrow(SecretBoxError);
  });

  it('rejects a truncated tag or a bad shape as malformed', () => {
    const sealed = secrets.seal('secret');
    expect(() => secrets.open(withField(sealed, 2, (b) => b.subarray(0, 8)))).toThrow(
      expect.objectContaining({ code: 'malformed' }),
    );
    expect(() => secrets.open('plain-text-password')).toThrow(expect.objectContaining({ code: 'malformed' }));
  });

  it('names an unknown key id without leaking anything', () => {
    const other = box({ k2 }, 'k2').seal('secret');
    expect(() => secrets.open(other)).toThrow(expect.objectContaining({ code: 'unknown-key' }));
    expect(() => secrets.open(other)).toThrow(/'k2'/);
  });

  describe('rotation', () => {
    const old = box({ k1 }, 'k1');
    const rotated = box({ k1, k2 }, 'k2');

    it('opens values sealed with the old key and seals with the new one', () => {
      const before = old.seal('secret', 'ctx');
      expect(rotated.open(before, 'ctx')).toBe('secret');
      expect(rotated.seal('secret')).toMatch(/^enc:v1:k2:/);
    });

    it('reports what needs rotation and reseals it', () => {
      const before = old.seal('secret', 'ctx');
      expect(rotated.needsRotation(before)).toBe(true);
      const after = rotated.reseal(before, 'ctx');
      expect(rotated.keyIdOf(after)).toBe('k2');
      expect(rotated.needsRotation(after)).toBe(false);
      expect(box({ k2 }, 'k2').open(after, 'ctx')).toBe('secret');
      expect(rotated.reseal(after, 'ctx')).toBe(after);
    });

    it('does not reseal a value that fails to open', () => {
      const before = old.seal('secret', 'ctx');
      expect(() => rotated.reseal(before, 'other')).toThrow(SecretBoxError);
    });
  });

  it('keeps key material out of JSON and inspect', () => {
    const keyring = new Keyring({ k1 }, 'k1');
    const shown = JSON.stringify(keyring) + inspect(keyring) + inspect(secrets, { depth: 5 });
    expect(shown).not.toContain(k1.toString('base64'));
    expect(shown).not.toContain(k1.toString('hex'));
    expect(shown).toContain('k1');
  });

  it('refuses a keyring whose active key is missing or whose key has the wrong length', () => {
    expect(() => new Keyring({ k1 }, 'k2')).toThrow(KeyringConfigError);
    expect(() => new Keyring({ k1: randomBytes(16) }, 'k1')).toThrow(/32 bytes/);
  });

  it('SecretsModule provides SecretBox from the SECURITY_KEYRING provider', async () => {
    const keyring = new Keyring({ k1 }, 'k1');
    const moduleRef = await Test.createTestingModule({
      imports: [SecretsModule.forKeyring(keyring)],
    }).compile();
    expect(moduleRef.get(SECURITY_KEYRING)).toBe(keyring);
    const fromNest = moduleRef.get(SecretBox);
    const sealed: SealedSecret = fromNest.seal('secret', 'ctx');
    expect(secrets.open(sealed, 'ctx')).toBe('secret');
    await moduleRef.close();
  });
});
