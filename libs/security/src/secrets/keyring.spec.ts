import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Keyring, KeyringConfigError, loadKeyring } from './keyring';
import { SecretBox } from './secret-box';

const b64 = (bytes = 32) => randomBytes(bytes).toString('base64');
const quiet = () => ({ warn: jest.fn<void, [string]>() });

describe('loadKeyring', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ssync-keyring-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('from SSYNC_ENCRYPTION_KEYS', () => {
    it('loads several keys and the active one', async () => {
      const env = { SSYNC_ENCRYPTION_KEYS: `k1:${b64()}, k2:${b64()}`, SSYNC_ENCRYPTION_ACTIVE_KEY_ID: 'k2' };
      const keyring = await loadKeyring(env, { allowDevKey: false });
      expect(keyring.keyIds).toEqual(['k1', 'k2']);
      expect(keyring.activeKeyId).toBe('k2');
      expect(keyring.source).toBe('env');
    });

    it('takes a single key as active without SSYNC_ENCRYPTION_ACTIVE_KEY_ID', async () => {
      const keyring = await loadKeyring({ SSYNC_ENCRYPTION_KEYS: `only:${b64()}` }, { allowDevKey: false });
      expect(keyring.activeKeyId).toBe('only');
    });

    it.each([
      [
        'a key of the wrong length',
        `k1:${b64(16)}`,
        undefined,
        /SSYNC_ENCRYPTION_KEYS: key 'k1' must be 32 bytes .*got 16/,
      ],
      ['bad base64', 'k1:not*base64!', undefined, /SSYNC_ENCRYPTION_KEYS: key 'k1' is not valid base64/],
      ['an entry without a key id', b64(), undefined, /SSYNC_ENCRYPTION_KEYS: entry 1 must look like/],
      ['an invalid key id', `bad id:${b64()}`, undefined, /SSYNC_ENCRYPTION_KEYS: entry 1 has a key id/],
      [
        'a duplicate key id',
        `k1:${b64()},k1:${b64()}`,
        'k1',
        /SSYNC_ENCRYPTION_KEYS: key 'k1' appears twice/,
      ],
      ['an active id that is not a key', `k1:${b64()}`, 'k9', /SSYNC_ENCRYPTION_ACTIVE_KEY_ID is 'k9'/],
      [
        'several keys and no active id',
        `k1:${b64()},k2:${b64()}`,
        undefined,
        /SSYNC_ENCRYPTION_ACTIVE_KEY_ID is missing/,
      ],
    ])('refuses %s, naming the variable', async (_case, keys, active, message) => {
      const env = { SSYNC_ENCRYPTION_KEYS: keys, SSYNC_ENCRYPTION_ACTIVE_KEY_ID: active };
      await expect(loadKeyring(env, { allowDevKey: false })).rejects.toThrow(KeyringConfigError);
      await expect(loadKeyring(env, { allowDevKey: false })).rejects.toThrow(message);
    });

    it('never puts key material in an error message', async () => {
      const short = b64(31);
      await expect(loadKeyring({ SSYNC_ENCRYPTION_KEYS: `k1:${short}` })).rejects.toThrow(
        expect.objectContaining({ message: expect.not.stringContaining(short) }),
      );
    });

    it('refuses both SSYNC_ENCRYPTION_KEYS and SSYNC_ENCRYPTION_KEY_FILE', async () => {
      const env = {
        SSYNC_ENCRYPTION_KEYS: `k1:${b64()}`,
        SSYNC_ENCRYPTION_KEY_FILE: path.join(dir, 'k.json'),
      };
      await expect(loadKeyring(env)).rejects.toThrow(
        /either SSYNC_ENCRYPTION_KEYS or SSYNC_ENCRYPTION_KEY_FILE/,
      );
    });
  });

  describe('from SSYNC_ENCRYPTION_KEY_FILE', () => {
    const write = async (content: unknown, mode = 0o600) => {
      const file = path.join(dir, 'keys.json');
      await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content), { mode });
      await fs.chmod(file, mode);
      return file;
    };

    it('loads the keys and active id, silently when the file is private', async () => {
      const key = b64();
      const file = await write({ activeKeyId: 'b', keys: { a: b64(), b: key } });
      const logger = quiet();
      const keyring = await loadKeyring({ SSYNC_ENCRYPTION_KEY_FILE: file }, { allowDevKey: false, logger });
      expect(keyring.activeKeyId).toBe('b');
      expect(keyring.keyIds).toEqual(['a', 'b']);
      expect(keyring.key('b')?.toString('base64')).toBe(key);
      expect(keyring.source).toBe('file');
      if (process.platform !== 'win32') expect(logger.warn).not.toHaveBeenCalled();
    });

    it('lets SSYNC_ENCRYPTION_ACTIVE_KEY_ID choose another key of the file (rotation)', async () => {
      const file = await write({ activeKeyId: 'a', keys: { a: b64(), b: b64() } });
      const env = { SSYNC_ENCRYPTION_KEY_FILE: file, SSYNC_ENCRYPTION_ACTIVE_KEY_ID: 'b' };
      expect((await loadKeyring(env, { logger: quiet() })).activeKeyId).toBe('b');
    });

    (process.platform === 'win32' ? it.skip : it)('warns (only) when group/others can read it', async () => {
      const key = b64();
      const file = await write({ activeKeyId: 'a', keys: { a: key } }, 0o644);
      const logger = quiet();
      await expect(loadKeyring({ SSYNC_ENCRYPTION_KEY_FILE: file }, { logger })).resolves.toBeInstanceOf(
        Keyring,
      );
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(/accessible by group\/others.*chmod 600/),
      );
      expect(logger.warn.mock.calls.join()).not.toContain(key);
    });

    it.each([
      ['not JSON', '{ nope', /SSYNC_ENCRYPTION_KEY_FILE \(.*\) is not valid JSON/],
      ['no keys object', { activeKeyId: 'a' }, /SSYNC_ENCRYPTION_KEY_FILE \(.*\) must be \{/],
      [
        'a short key',
        { activeKeyId: 'a', keys: { a: b64(8) } },
        /SSYNC_ENCRYPTION_KEY_FILE \(.*\): keys\.a must be 32 bytes/,
      ],
      [
        'an active id that is not a key',
        { activeKeyId: 'z', keys: { a: b64() } },
        /activeKeyId 'z' is not one of its keys/,
      ],
    ])('refuses %s, naming the variable and the file', async (_case, content, message) => {
      const file = await write(content);
      await expect(loadKeyring({ SSYNC_ENCRYPTION_KEY_FILE: file }, { logger: quiet() })).rejects.toThrow(
        message,
      );
    });

    it('names the variable when the file is missing', async () => {
      const env = { SSYNC_ENCRYPTION_KEY_FILE: path.join(dir, 'missing.json') };
      await expect(loadKeyring(env)).rejects.toThrow(
        /SSYNC_ENCRYPTION_KEY_FILE \(.*missing\.json\) cannot be read: ENOENT/,
      );
    });
  });

  describe('development key file', () => {
    it('generates a private key file on first start and reuses it after', async () => {
      const devKeyFile = path.join(dir, 'nested', 'keys.json');
      const first = await loadKeyring({}, { allowDevKey: true, devKeyFile, logger: quiet() });
      expect(first.source).toBe('dev-file');
      if (process.platform !== 'win32') expect((await fs.stat(devKeyFile)).mode & 0o777).toBe(0o600);
      const sealed = new SecretBox(first).seal('secret');

      const second = await loadKeyring({}, { allowDevKey: true, devKeyFile, logger: quiet() });
      expect(second.activeKeyId).toBe(first.activeKeyId);
      expect(new SecretBox(second).open(sealed)).toBe('secret');
      expect((await fs.readdir(path.dirname(devKeyFile))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('gives one key to concurrent first starts (8 promises)', async () => {
      const devKeyFile = path.join(dir, 'keys.json');
      const starts = await Promise.all(
        Array.from({ length: 8 }, () => loadKeyring({}, { allowDevKey: true, devKeyFile, logger: quiet() })),
      );
      const [a] = starts;
      for (const keyring of starts) {
        expect(keyring.activeKeyId).toBe(a?.activeKeyId);
        expect(keyring.key(keyring.activeKeyId)?.equals(a?.key(a.activeKeyId) ?? Buffer.alloc(0))).toBe(true);
      }
      expect(await fs.readdir(dir)).toEqual(['keys.json']);
    });

    it('is off in production unless allowed, with an error naming the variables', async () => {
      const devKeyFile = path.join(dir, 'keys.json');
      await expect(loadKeyring({ NODE_ENV: 'production' }, { devKeyFile })).rejects.toThrow(
        /no encryption key configured: set SSYNC_ENCRYPTION_KEYS .* or SSYNC_ENCRYPTION_KEY_FILE/,
      );
      await expect(fs.stat(devKeyFile)).rejects.toThrow(/ENOENT/);
    });

    it('refuses a development key in production however it is given, naming it and why', async () => {
      const devKeyFile = path.join(dir, 'keys.json');
      const dev = await loadKeyring({}, { devKeyFile, logger: quiet() });
      const kid = dev.activeKeyId;
      expect(kid).toMatch(/^dev-/);
      await expect(
        loadKeyring({ NODE_ENV: 'production', SSYNC_ENCRYPTION_KEY_FILE: devKeyFile }, { logger: quiet() }),
      ).rejects.toThrow(new RegExp(`holds development key\\(s\\) ${kid} with NODE_ENV=production`));
      const pasted = `${kid}:${dev.key(kid)!.toString('base64')}`;
      await expect(
        loadKeyring({
          NODE_ENV: 'production',
          SSYNC_ENCRYPTION_KEYS: pasted,
          SSYNC_ENCRYPTION_ACTIVE_KEY_ID: kid,
        }),
      ).rejects.toThrow(KeyringConfigError);
      // A production key is fine, and so is the development one outside production.
      const prod = `k1:${Keyring.generateKey()}`;
      await expect(
        loadKeyring({
          NODE_ENV: 'production',
          SSYNC_ENCRYPTION_KEYS: prod,
          SSYNC_ENCRYPTION_ACTIVE_KEY_ID: 'k1',
        }),
      ).resolves.toBeInstanceOf(Keyring);
      await expect(
        loadKeyring({ SSYNC_ENCRYPTION_KEY_FILE: devKeyFile }, { logger: quiet() }),
      ).resolves.toBeInstanceOf(Keyring);
    });

    it('warns that a development key is in use', async () => {
      const logger = quiet();
      await loadKeyring({}, { devKeyFile: path.join(dir, 'keys.json'), logger });
      expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/development encryption key file/));
    });
  });
});
