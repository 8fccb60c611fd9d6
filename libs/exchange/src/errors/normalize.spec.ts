import { ServiceResponseException, SoapFaultDetails } from 'ews-javascript-api';
import { ExchangeError, ExchangeErrorCode } from './exchange-error';
import { normalizeExchangeError, parseRetryAfter, sanitizeMessage } from './normalize';
import { RecordedRejection, reviveRejection } from './rejection-fixtures';
import fixtures from './fixtures/rejections.json';

const recorded = fixtures as unknown as RecordedRejection[];

describe('normalizeExchangeError — rejections recorded from the simulator (errors.int-spec.ts)', () => {
  const expected: Record<string, [ExchangeErrorCode, string, number | undefined]> = {
    'serverBusy fault (HTTP 500, BackOffMilliseconds)': ['throttled', 'ErrorServerBusy', 1234],
    'serverBusy message (HTTP 200, MessageXml)': ['throttled', 'ErrorServerBusy', 4321],
    'HTTP 503 + Retry-After': ['transient', 'HTTP503', 7000],
    'HTML 500': ['transient', 'HTTP500', undefined],
    'connection reset': ['transient', 'ECONNRESET', undefined],
    timeout: ['transient', 'TIMEOUT', undefined],
    'wrong password (Basic)': ['credentials', 'HTTP401', undefined],
    'wrong password (NTLM)': ['credentials', 'HTTP401', undefined],
    'injected 401': ['credentials', 'HTTP401', undefined],
    'impersonation not granted (SOAP fault)': ['permissions', 'ErrorImpersonateUserDenied', undefined],
    'unknown mailbox (impersonation, SOAP fault)': ['location', 'ErrorNonExistentMailbox', undefined],
    'another mailbox without rights': ['permissions', 'ErrorAccessDenied', undefined],
    'connection refused': ['transient', 'ECONNREFUSED', undefined],
    'invalid sync state': ['cursor', 'ErrorInvalidSyncStateData', undefined],
    'item not found': ['not-found', 'ErrorItemNotFound', undefined],
    'schema validation': ['unknown', 'ErrorSchemaValidation', undefined],
  };

  it('covers every recorded scenario', () => {
    expect(recorded.map((r) => r.scenario).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(recorded.map((r) => [r.scenario, r] as const))('%s', (scenario, r) => {
    const rejection = reviveRejection(r.rejection);
    const [code, ewsCode, retryAfterMs] = expected[scenario] ?? ['unknown', '', undefined];
    const e = normalizeExchangeError(rejection, { ...r.context, operation: 'op' });
    expect(e).toBeInstanceOf(ExchangeError);
    expect({
      code: e.code,
      ewsCode: e.ewsCode,
      retryAfterMs: e.retryAfterMs,
      operation: e.operation,
    }).toEqual({
      code,
      ewsCode,
      retryAfterMs,
      operation: 'op',
    });
    expect(e.message.length).toBeGreaterThan(0);
  });

  it('revives onto the client’s real classes', () => {
    const busy = recorded.find((r) => r.scenario.startsWith('serverBusy fault'));
    expect(reviveRejection(busy?.rejection)).toBeInstanceOf(SoapFaultDetails);
    const msg = recorded.find((r) => r.scenario.startsWith('serverBusy message'));
    expect(reviveRejection(msg?.rejection)).toBeInstanceOf(ServiceResponseException);
  });

  it('the 503 back-off comes from the transport (Retry-After is only in the response headers)', () => {
    const r = recorded.find((x) => x.scenario === 'HTTP 503 + Retry-After');
    const e = normalizeExchangeError(reviveRejection(r?.rejection), {});
    expect([e.code, e.retryAfterMs]).toEqual(['transient', undefined]);
  });
});

describe('normalizeExchangeError — shapes not easily produced by the simulator', () => {
  const n = (x: unknown, ctx = {}) => normalizeExchangeError(x, ctx);

  it('undefined and null (AutodiscoverService) → unknown, or what the transport saw', () => {
    expect(n(undefined).code).toBe('unknown');
    expect(n(undefined).rawType).toBe('undefined');
    expect(n(null).code).toBe('unknown');
    expect(n(undefined, { httpStatus: 401 }).code).toBe('credentials');
    expect(n(undefined, { httpStatus: 503, headers: { 'retry-after': '3' } })).toMatchObject({
      code: 'transient',
      retryAfterMs: 3000,
    });
  });

  it('non-Error rejections: strings, numbers, plain objects', () => {
    expect(n('boom').code).toBe('unknown');
    expect(n('connect ECONNREFUSED 10.0.0.1:443')).toMatchObject({
      code: 'transient',
      ewsCode: 'ECONNREFUSED',
    });
    expect(n(42)).toMatchObject({ code: 'unknown', rawType: 'number' });
    expect(n({})).toMatchObject({ code: 'unknown', rawType: 'Object' });
  });

  it('Node errors by code and message', () => {
    expect(n(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({
      code: 'transient',
      ewsCode: 'ECONNRESET',
      rawType: 'Error',
    });
    expect(
      n(Object.assign(new Error('getaddrinfo ENOTFOUND mail.contoso.com'), { code: 'ENOTFOUND' })).code,
    ).toBe('location');
    expect(n(new Error('self-signed certificate in certificate chain')).code).toBe('location');
    expect(n(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })).code).toBe('transient');
  });

  it('per-item error responses of batch calls (ServiceResponse with result/errorCode/errorDetails)', () => {
    const perItem = {
      result: 2,
      errorCode: 363,
      errorMessage: 'busy',
      errorDetails: { keys: ['BackOffMilliseconds'], objects: { BackOffMilliseconds: '250' } },
    };
    expect(n(perItem)).toMatchObject({ code: 'throttled', ewsCode: 'ErrorServerBusy', retryAfterMs: 250 });
    expect(n({ result: 2, errorCode: 249, errorMessage: 'gone' }).code).toBe('not-found');
  });

  it('a BackOffMilliseconds that is not a number is ignored', () => {
    const f = {
      faultCode: 'a:ErrorServerBusy',
      responseCode: 363,
      HttpStatusCode: 500,
      message: 'busy',
      errorDetails: { objects: { BackOffMilliseconds: 'soon' } },
    };
    expect(n(f)).toMatchObject({ code: 'throttled', retryAfterMs: undefined });
  });

  it('raw XHR-like objects: 429, 502, 403, 404 and redirects', () => {
    expect(n({ status: 429, headers: { 'retry-after': '2' }, responseText: '' })).toMatchObject({
      code: 'throttled',
      retryAfterMs: 2000,
      rawType: 'xhr',
    });
    expect(n({ status: 502, headers: {}, responseText: '' }).code).toBe('transient');
    expect(n({ status: 403, headers: {}, responseText: '' }).code).toBe('permissions');
    expect(n({ status: 404, headers: {}, responseText: '' }).code).toBe('location');
    expect(n({ status: 302, headers: {}, responseText: '' }).code).toBe('location');
  });

  it('a generic SOAP fault (s:Client) is named by its ResponseCode', () => {
    expect(
      n({ faultCode: 's:Client', responseCode: 363, message: 'busy', HttpStatusCode: 500 }),
    ).toMatchObject({
      code: 'throttled',
      ewsCode: 'ErrorServerBusy',
    });
  });

  it('an ExchangeError passes through (tagged with the operation once)', () => {
    const e = new ExchangeError({ code: 'cursor', message: 'x', rawType: 'ServiceResponseException' });
    expect(n(e, { operation: 'syncInbox' }).operation).toBe('syncInbox');
    const tagged = n(e, { operation: 'syncInbox' });
    expect(n(tagged, { operation: 'other' }).operation).toBe('syncInbox');
  });

  it('unlisted EWS codes are unknown, keeping the EWS code', () => {
    expect(
      n({ faultCode: 'a:ErrorSomethingNew', responseCode: 127, message: 'new', HttpStatusCode: 500 }),
    ).toMatchObject({
      code: 'unknown',
      ewsCode: 'ErrorSomethingNew',
    });
  });
});

describe('helpers', () => {
  it('parseRetryAfter: seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
  });
  it('sanitizeMessage strips credentials and caps length', () => {
    expect(sanitizeMessage('Authorization: Basic YWxpY2U6c2VjcmV0')).toBe('Authorization: Basic [redacted]');
    expect(sanitizeMessage('NTLM TlRMTVNTUAABAAAAB4IIogAAAAA=')).toBe('NTLM [redacted]');
    expect(sanitizeMessage('password=hunter2 x')).toBe('password=[redacted] x');
    expect(sanitizeMessage('http://u:p@host/x')).toBe('http://[redacted]@host/x');
    expect(sanitizeMessage('x'.repeat(900))).toHaveLength(500);
  });
});
