import { ExchangeError, ExchangeErrorCode } from './exchange-error';

/**
 * The one policy that decides what a failed Exchange call means for a mailbox (SPEC S-5, S-6, M-6), modelled on
 * Dynamics 365 (transient: retried 10 times 5 minutes apart, then permanent; permanent: disable at once) and on
 * Twenty's messaging exception handler (codes → retry / reset cursor / fail). Pure: no clock, no I/O.
 */
export interface RetryPolicy {
  /** Failed attempts (transient + unknown) after which the error counts as permanent. Default 10. */
  maxTransientAttempts: number;
  /** Delay before the first retry of a transient error. Default 5 minutes. */
  transientDelayMs: number;
  /** Growth per attempt (1 = fixed, Dynamics-like). Default 1. */
  backoffFactor: number;
  /** Upper bound for any computed delay. Default 1 hour. */
  maxDelayMs: number;
  /** Wait when the server throttles without saying how long. Default 30 s. */
  throttleDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTransientAttempts: 10,
  transientDelayMs: 5 * 60_000,
  backoffFactor: 1,
  maxDelayMs: 60 * 60_000,
  throttleDelayMs: 30_000,
};

export type ErrorClass = 'transient' | 'permanent' | 'cursor' | 'not-found';

export type Decision =
  /** Try the same call again after `delayMs`. `countsAsFailure` = it uses up one of maxTransientAttempts. */
  | {
      action: 'retry';
      class: 'transient';
      delayMs: number;
      countsAsFailure: boolean;
      rediscover: boolean;
      reason: string;
    }
  /** Drop the sync state and start a full re-sync (not a mailbox failure). */
  | { action: 'resync'; class: 'cursor'; reason: string }
  /** The item or folder is gone: skip it and carry on. */
  | { action: 'skip'; class: 'not-found'; reason: string }
  /** Disable the mailbox for this direction and alert (permanent, or transient for too long). */
  | { action: 'disable'; class: 'permanent'; rediscover: boolean; reason: string };

export interface ClassifyContext {
  /** 1 for the first failure of this call/mailbox, 2 for the second in a row, … */
  attempt: number;
  policy?: Partial<RetryPolicy>;
}

/** Which class an error code belongs to, independent of attempts. */
export function errorClass(code: ExchangeErrorCode): ErrorClass {
  switch (code) {
    case 'throttled':
    case 'transient':
    case 'unknown':
      return 'transient';
    case 'credentials':
    case 'permissions':
    case 'location':
      return 'permanent';
    case 'cursor':
      return 'cursor';
    case 'not-found':
      return 'not-found';
  }
}

export function classify(
  error: Pick<ExchangeError, 'code' | 'retryAfterMs' | 'message' | 'ewsCode'>,
  ctx: ClassifyContext,
): Decision {
  const p = { ...DEFAULT_RETRY_POLICY, ...ctx.policy };
  const attempt = Math.max(1, Math.floor(ctx.attempt));
  const why = `${error.code}${error.ewsCode ? ` (${error.ewsCode})` : ''}: ${error.message}`;
  const cap = (ms: number): number => Math.min(Math.max(0, ms), p.maxDelayMs);
  switch (error.code) {
    case 'throttled':
      // The server said how long; honour it exactly (S-5). Throttling is not the mailbox's fault: not counted.
      return {
        action: 'retry',
        class: 'transient',
        delayMs: cap(error.retryAfterMs ?? p.throttleDelayMs),
        countsAsFailure: false,
        rediscover: false,
        reason: why,
      };
    case 'transient':
    case 'unknown': {
      // A network failure against a discovered URL may mean the server moved: re-discover before retrying.
      const rediscover = error.code === 'transient' && /^(ECONN|TIMEOUT|NETWORK)/.test(error.ewsCode ?? '');
      if (attempt >= p.maxTransientAttempts)
        return {
          action: 'disable',
          class: 'permanent',
          rediscover,
          reason: `gave up after ${attempt} attempts: ${why}`,
        };
      const computed = p.transientDelayMs * Math.pow(p.backoffFactor, attempt - 1);
      return {
        action: 'retry',
        class: 'transient',
        delayMs: cap(Math.max(computed, error.retryAfterMs ?? 0)),
        countsAsFailure: true,
        rediscover,
        reason: why,
      };
    }
    case 'credentials':
    case 'permissions':
      return { action: 'disable', class: 'permanent', rediscover: false, reason: why };
    case 'location':
      // The caller invalidates its Autodiscover entry; if the location was discovered, one fresh try is worth it.
      return { action: 'disable', class: 'permanent', rediscover: true, reason: why };
    case 'cursor':
      return { action: 'resync', class: 'cursor', reason: why };
    case 'not-found':
      return { action: 'skip', class: 'not-found', reason: why };
  }
}
