import jwt from 'jsonwebtoken';
import { loadAuthConfig } from './auth-config';
import { runIssueTokenCli } from './issue-token-cli';
import { TokenService } from './token.service';

const env = { SSYNC_JWT_SECRET: 'a-long-enough-secret-for-hs256-signing!!' };

async function run(argv: string[], runEnv: NodeJS.ProcessEnv = env) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runIssueTokenCli(argv, runEnv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('issue-token CLI', () => {
  it('prints a token the API accepts', async () => {
    const { code, out, err } = await run([
      '--user',
      'alice',
      '--name',
      'Alice',
      '--privileges',
      'MailboxRead,MailboxWrite',
      '--ttl',
      '120',
    ]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const principal = new TokenService(await loadAuthConfig(env)).verify(out);
    expect(principal).toEqual({
      userId: 'alice',
      name: 'Alice',
      privileges: new Set(['MailboxRead', 'MailboxWrite']),
    });
    const { exp, iat } = jwt.decode(out) as { exp: number; iat: number };
    expect(exp - iat).toBe(120);
  });

  it('issues user-depth privileges (docs/adr/0020)', async () => {
    const { code, out } = await run([
      '--user',
      'alice',
      '--name',
      'Alice',
      '--privileges',
      'MailboxRead:User,MailboxWrite:User,ApproveEmail',
    ]);
    expect(code).toBe(0);
    expect((jwt.decode(out) as { privileges: string[] }).privileges).toEqual([
      'MailboxRead:User',
      'MailboxWrite:User',
      'ApproveEmail',
    ]);
    expect(new TokenService(await loadAuthConfig(env)).verify(out)).toEqual({
      userId: 'alice',
      name: 'Alice',
      privileges: new Set(['MailboxRead', 'MailboxWrite', 'ApproveEmail']),
      userDepth: new Set(['MailboxRead', 'MailboxWrite']),
    });
  });

  it('defaults the ttl to an hour', async () => {
    const { out } = await run(['--user', 'bob', '--name', 'Bob', '--privileges', 'ApproveEmail']);
    const { exp, iat } = jwt.decode(out) as { exp: number; iat: number };
    expect(exp - iat).toBe(3600);
  });

  it.each([
    [['--name', 'A', '--privileges', 'MailboxRead'], /--user is required/],
    [['--user', 'a', '--privileges', 'MailboxRead'], /--name is required/],
    [['--user', 'a', '--name', 'A'], /--privileges is required/],
    [
      ['--user', 'a', '--name', 'A', '--privileges', 'MailboxRead,Root'],
      /--privileges: unknown privilege\(s\) Root; valid: /,
    ],
    [['--user', 'a', '--name', 'A', '--privileges', ','], /--privileges must name at least one/],
    [
      ['--user', 'a', '--name', 'A', '--privileges', 'MailboxRead:User,ApproveEmail:User'],
      /--privileges: ApproveEmail has organization depth only; :User applies to MailboxRead, MailboxWrite/,
    ],
    [
      ['--user', 'a', '--name', 'A', '--privileges', 'MailboxRead', '--ttl', '1h'],
      /--ttl must be a whole number/,
    ],
    [
      ['--user', 'a', '--name', 'A', '--privileges', 'MailboxRead', '--ttl', '0'],
      /--ttl must be a whole number/,
    ],
    [['--user', 'a', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a clear error for %j', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).toContain('usage:');
  });

  it('exits 1 naming the variable when the secret is bad', async () => {
    const { code, err } = await run(['--user', 'a', '--name', 'A', '--privileges', 'MailboxRead'], {
      SSYNC_JWT_SECRET: 'short',
    });
    expect(code).toBe(1);
    expect(err).toMatch(/SSYNC_JWT_SECRET must be at least 32 bytes/);
  });

  it('prints usage for --help', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: node dist\/scripts\/issue-token\.js/);
  });
});
