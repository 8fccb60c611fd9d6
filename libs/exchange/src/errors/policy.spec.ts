import { ExchangeError, ExchangeErrorCode } from './exchange-error';
import { classify, DEFAULT_RETRY_POLICY, errorClass } from './policy';

const err = (code: ExchangeErrorCode, extra: Partial<ExchangeError> = {}) =>
  new ExchangeError({ code, message: code, rawType: 'test', ...extra });

describe('classify — one policy for every Exchange error', () => {
  it('throttled: retry after exactly the server’s back-off, not counted as a failure', () => {
    expect(classify(err('throttled', { retryAfterMs: 1234 }), { attempt: 1 })).toMatchObject({
      action: 'retry',
      delayMs: 1234,
      countsAsFailure: false,
    });
    // …whatever the attempt: throttling never disables a mailbox.
    expect(classify(err('throttled'), { attempt: 99 })).toMatchObject({
      action: 'retry',
      delayMs: DEFAULT_RETRY_POLICY.throttleDelayMs,
    });
  });

  it('transient: 5 minutes apart, 10 attempts, then permanent (Dynamics defaults)', () => {
    for (let attempt = 1; attempt < 10; attempt++)
      expect(classify(err('transient', { ewsCode: 'HTTP503' }), { attempt })).toMatchObject({
        action: 'retry',
        delayMs: 300_000,
        countsAsFailure: true,
      });
    expect(classify(err('transient'), { attempt: 10 })).toMatchObject({
      action: 'disable',
      class: 'permanent',
    });
  });

  it('transient honours a longer Retry-After and an exponential policy, capped', () => {
    expect(classify(err('transient', { retryAfterMs: 600_000 }), { attempt: 1 })).toMatchObject({
      delayMs: 600_000,
    });
    const policy = { transientDelayMs: 1000, backoffFactor: 2, maxDelayMs: 5000, maxTransientAttempts: 20 };
    expect(
      [1, 2, 3, 4, 5].map(
        (attempt) => (classify(err('transient'), { attempt, policy }) as { delayMs: number }).delayMs,
      ),
    ).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('network failures suggest re-discovery; HTTP 503 does not', () => {
    expect(classify(err('transient', { ewsCode: 'ECONNREFUSED' }), { attempt: 1 })).toMatchObject({
      rediscover: true,
    });
    expect(classify(err('transient', { ewsCode: 'HTTP503' }), { attempt: 1 })).toMatchObject({
      rediscover: false,
    });
  });

  it.each<ExchangeErrorCode>(['credentials', 'permissions', 'location'])('%s: disable at once', (code) => {
    expect(classify(err(code), { attempt: 1 })).toMatchObject({ action: 'disable', class: 'permanent' });
  });

  it('location asks for re-discovery before giving up', () => {
    expect(classify(err('location'), { attempt: 1 })).toMatchObject({ rediscover: true });
    expect(classify(err('credentials'), { attempt: 1 })).toMatchObject({ rediscover: false });
  });

  it('cursor: full re-sync; not-found: skip', () => {
    expect(classify(err('cursor'), { attempt: 1 })).toMatchObject({ action: 'resync', class: 'cursor' });
    expect(classify(err('not-found'), { attempt: 5 })).toMatchObject({ action: 'skip', class: 'not-found' });
  });

  it('unknown: treated as transient with bounded attempts', () => {
    expect(classify(err('unknown'), { attempt: 1 })).toMatchObject({
      action: 'retry',
      countsAsFailure: true,
    });
    expect(classify(err('unknown'), { attempt: 10 }).action).toBe('disable');
  });

  it('errorClass', () => {
    expect(errorClass('throttled')).toBe('transient');
    expect(errorClass('permissions')).toBe('permanent');
    expect(errorClass('cursor')).toBe('cursor');
  });

  it('reasons name the code and the Exchange code', () => {
    expect(
      classify(err('permissions', { ewsCode: 'ErrorImpersonateUserDenied' }), { attempt: 1 }).reason,
    ).toContain('permissions (ErrorImpersonateUserDenied)');
  });
});
