import { createHash } from 'node:crypto';

/** Characters of one command digest: 96 bits of SHA-256, base64url. */
export const COMMAND_DIGEST_CHARS = 16;

/** A command id's fixed-width digest. */
export function commandDigest(commandId: string): string {
  return createHash('sha256').update(commandId).digest('base64url').slice(0, COMMAND_DIGEST_CHARS);
}

/**
 * Every command that produced events on one aggregate, as one string of fixed-width digests (16 characters each,
 * ~16 bytes of heap instead of a 36-character id in an array). Nothing is ever forgotten, so a command seen
 * before has no second effect however many came in between (issue #9). It grows with the aggregate's own
 * commands — a mailbox's admin changes, jobs and test results, never its polls (docs/adr/0010) — not with time.
 * Two different ids share a digest with a probability of about n²/2⁹⁷ for n commands on one aggregate.
 */
export function ledgerHas(ledger: string, commandId: string): boolean {
  const digest = commandDigest(commandId);
  for (let at = ledger.indexOf(digest); at !== -1; at = ledger.indexOf(digest, at + 1))
    if (at % COMMAND_DIGEST_CHARS === 0) return true;
  return false;
}

export function ledgerAdd(ledger: string, commandId: string): string {
  return ledgerHas(ledger, commandId) ? ledger : ledger + commandDigest(commandId);
}

/** How many commands a ledger holds. */
export function ledgerSize(ledger: string): number {
  return ledger.length / COMMAND_DIGEST_CHARS;
}
