import { createHash } from 'node:crypto';

/**
 * The activity id of an incoming message (S-1 "exactly one email activity"): a name-based UUID (v5 layout over
 * SHA-256) of the mailbox and the message's Internet Message-ID, or its Exchange item id when it has none. Every
 * worker derives the same id for the same message, so a message seen twice — after a crash, a re-sync or a
 * partition move — reaches the same aggregate, which tracks it once. Hashing is pure: no clock, no randomness.
 */
export function incomingEmailActivityId(
  mailboxId: string,
  internetMessageId: string | null | undefined,
  exchangeItemId: string,
): string {
  const messageKey =
    typeof internetMessageId === 'string' && internetMessageId.trim() !== ''
      ? `mid:${internetMessageId.trim()}`
      : `item:${exchangeItemId}`;
  const h = createHash('sha256').update(`incoming-email\u0000${mailboxId}\u0000${messageKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
