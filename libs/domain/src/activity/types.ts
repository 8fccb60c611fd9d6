/** Email activities (SPEC S-1…S-3, B-1): incoming email tracked from a mailbox, outgoing email sent through it. */
export const ACTIVITY_DIRECTIONS = ['Incoming', 'Outgoing'] as const;
export type ActivityDirection = (typeof ACTIVITY_DIRECTIONS)[number];

export const ACTIVITY_STATUSES = ['Tracked', 'PendingSend', 'Sent', 'Failed'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

export const BODY_TYPES = ['Text', 'HTML'] as const;
export type BodyType = (typeof BODY_TYPES)[number];

/** B-1 tracking ledger outcomes a worker records; `Tracked` is ledgered by IncomingEmailTracked itself. */
export const MESSAGE_OUTCOMES = [
  'SkippedByRule',
  'Failed',
  'MovedToUndeliverable',
  'Throttled',
  'Duplicate',
] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];
export type LedgerOutcome = 'Tracked' | MessageOutcome;

/**
 * What an email activity can hold. A message beyond these cannot be tracked: the decider refuses it with a
 * validation error naming the field, and the worker records `Failed` and moves the message to Undeliverable
 * (P-12). The values follow Dynamics' email activity (subject 400, description 1,048,576 characters). A body
 * this size is up to ~4 MB of UTF-8, which is why the activity topics allow 32 MB records (libs/messaging topics).
 */
export const ACTIVITY_LIMITS = {
  subject: 400,
  body: 1_048_576,
  /** One address (or display form such as an X.500 address for an unresolved sender). */
  address: 320,
  /** To and Cc together. */
  recipients: 500,
  exchangeItemId: 1024,
  internetMessageId: 998,
  reason: 2000,
} as const;

export interface SendRetryPolicy {
  /** Transient send failures retried this many times after the first attempt, then Failed. */
  maxTransientRetries: number;
  retryDelayMinutes: number;
}

/** S-3 / S-6: transient send failures are retried up to 10 times, 5 minutes apart (as M-6's test retries). */
export const SEND_RETRY_POLICY: SendRetryPolicy = { maxTransientRetries: 10, retryDelayMinutes: 5 };

export interface IncomingEmail {
  direction: 'Incoming';
  activityId: string;
  mailboxId: string;
  status: 'Tracked';
  exchangeItemId: string;
  internetMessageId: string | null;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  body: string;
  bodyType: BodyType;
  receivedAt: string;
  sentAt: string | null;
  trackedAt: string;
}

export interface OutgoingEmail {
  direction: 'Outgoing';
  activityId: string;
  mailboxId: string;
  status: 'PendingSend' | 'Sent' | 'Failed';
  from: string | null;
  to: string[];
  cc: string[];
  subject: string;
  /** '' once a worker dropped it from memory (`bodySha256`). */
  body: string;
  bodyType: BodyType;
  queuedAt: string;
  /** Attempts with a recorded outcome so far; the next outcome must answer attempt `attempts + 1`. */
  attempts: number;
  nextAttemptAt: string | null;
  exchangeItemId: string | null;
  internetMessageId: string | null;
  sentAt: string | null;
  failureReason: string | null;
  /** The live or last claim on attempt `attempts + 1` (ClaimSend); null when none, and after every outcome. */
  claim: SendClaim | null;
  /**
   * Set when a worker dropped the body of a Sent or Failed email from memory (`retainedActivityState`): the body's
   * SHA-256 (hex), so a queue request repeated after the send is still told apart from another email.
   */
  bodySha256?: string;
}

/** Who may send attempt `attempt` of an outgoing email, until when (S-3 exactly once across workers). */
export interface SendClaim {
  attempt: number;
  claimant: string;
  claimedAt: string;
  claimUntil: string;
}

/** A message a worker saw and did not (yet) track: only its ledger entries exist. */
export interface SeenMessage {
  mailboxId: string;
  exchangeItemId: string;
  internetMessageId: string | null;
  lastOutcome: MessageOutcome;
  lastReason: string;
}
