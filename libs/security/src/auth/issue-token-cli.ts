import { parseArgs } from 'node:util';
import { LoadAuthConfigOptions, loadJwtSecret } from './auth-config';
import { parsePrivileges } from './privileges';
import { TokenService } from './token.service';

export const ISSUE_TOKEN_USAGE = `usage: node dist/scripts/issue-token.js --user <id> --name <display name> --privileges <P1,P2,...> [--ttl <seconds>]
  --user        user id, the token's subject (required)
  --name        display name (required)
  --privileges  comma-separated: MailboxRead, MailboxWrite, EmailSettingsAdmin, ApproveEmail, ProfileAdmin, SystemAdmin;
                a bare name reaches the whole organization; MailboxRead:User and MailboxWrite:User reach only
                the mailboxes the user owns
  --ttl         lifetime in seconds (default 3600, at most 31536000)
Signs with SSYNC_JWT_SECRET (or, outside production, the development secret in .ssync/jwt-secret).`;

const MAX_TTL_SECONDS = 365 * 24 * 3600;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export interface IssueTokenArgs {
  userId: string;
  name: string;
  privileges: ReturnType<typeof parsePrivileges>;
  ttlSeconds: number;
}

/** Parses and validates the arguments; throws CliUsageError with a message that names the bad flag. */
export function parseIssueTokenArgs(argv: readonly string[]): IssueTokenArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        user: { type: 'string' },
        name: { type: 'string' },
        privileges: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliUsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';
  const userId = values.user?.trim() ?? '';
  if (userId === '') throw new CliUsageError('--user is required');
  const name = values.name?.trim() ?? '';
  if (name === '') throw new CliUsageError('--name is required');
  if (values.privileges === undefined) throw new CliUsageError('--privileges is required (comma-separated)');
  let privileges;
  try {
    privileges = parsePrivileges(values.privileges);
  } catch (err) {
    throw new CliUsageError(`--privileges: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (privileges.length === 0) throw new CliUsageError('--privileges must name at least one privilege');
  const ttlText = values.ttl ?? '3600';
  const ttlSeconds = /^\d+$/.test(ttlText) ? Number(ttlText) : NaN;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new CliUsageError(
      `--ttl must be a whole number of seconds between 1 and ${MAX_TTL_SECONDS} (got '${ttlText}')`,
    );
  }
  return { userId, name, privileges, ttlSeconds };
}

/** The issue-token CLI: prints a token on stdout. Exit codes: 0 ok, 2 bad arguments, 1 bad configuration. */
export async function runIssueTokenCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  opts: LoadAuthConfigOptions = {},
): Promise<number> {
  let args;
  try {
    args = parseIssueTokenArgs(argv);
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err;
    io.err(`error: ${err.message}`);
    io.err(ISSUE_TOKEN_USAGE);
    return 2;
  }
  if (args === 'help') {
    io.out(ISSUE_TOKEN_USAGE);
    return 0;
  }
  let jwtSecret;
  try {
    jwtSecret = await loadJwtSecret(env, opts, opts.logger ?? { warn: (m) => io.err(`warning: ${m}`) });
  } catch (err) {
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  io.out(new TokenService({ jwtSecret }).issueToken(args));
  return 0;
}
