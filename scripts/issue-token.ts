/**
 * Issues a bearer token for the ssync API (administrators):
 *   node dist/scripts/issue-token.js --user alice --name "Alice" --privileges MailboxRead,MailboxWrite [--ttl 3600]
 * Uses the same secret configuration as the API (SSYNC_JWT_SECRET, or the development secret file).
 */
import { runIssueTokenCli } from '@ssync/security';

runIssueTokenCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
