import { ServiceError } from 'ews-javascript-api';
import { ExchangeError, ExchangeErrorCode, isExchangeError } from './exchange-error';

/** What the transport saw for the failed call (captured per call, see connection/observed-xhr.ts). */
export interface RejectionContext {
  operation?: string;
  httpStatus?: number;
  /** Lower-case header names. */
  headers?: Record<string, string>;
}

/**
 * Exchange response codes → our codes. Anything not listed is `unknown` (the policy treats it as transient with
 * a bounded number of attempts, so an unexpected server answer neither loops for ever nor disables at once).
 */
const EWS_CODES: Record<string, ExchangeErrorCode> = {
  // Throttling and budgets: wait (BackOffMilliseconds when given), do not count as a failure.
  ErrorServerBusy: 'throttled',
  ErrorExceededConnectionCount: 'throttled',
  ErrorExceededSubscriptionCount: 'throttled',
  ErrorExceededFindCountLimit: 'throttled',
  ErrorTooManyObjectsOpened: 'throttled',
  ErrorMessageSubmissionBlocked: 'throttled',
  // The server or the mailbox database is temporarily unavailable.
  ErrorInternalServerTransientError: 'transient',
  ErrorInternalServerError: 'transient',
  ErrorMailboxStoreUnavailable: 'transient',
  ErrorMailboxMoveInProgress: 'transient',
  ErrorConnectionFailed: 'transient',
  ErrorTimeoutExpired: 'transient',
  ErrorBatchProcessingStopped: 'transient',
  ErrorProxyRequestProcessingFailed: 'transient',
  // Credentials.
  ErrorPasswordExpired: 'credentials',
  ErrorPasswordChangeRequired: 'credentials',
  ErrorInvalidLicense: 'credentials',
  // Rights.
  ErrorAccessDenied: 'permissions',
  ErrorImpersonateUserDenied: 'permissions',
  ErrorImpersonationDenied: 'permissions',
  ErrorImpersonationFailed: 'permissions',
  ErrorSendAsDenied: 'permissions',
  ErrorAccountDisabled: 'permissions',
  ErrorDelegateNoUser: 'permissions',
  ErrorNotDelegate: 'permissions',
  ErrorQuotaExceeded: 'permissions',
  // The mailbox is not where we think it is.
  ErrorNonExistentMailbox: 'location',
  ErrorMailboxConfiguration: 'location',
  ErrorInvalidSmtpAddress: 'location',
  ErrorWrongServerVersion: 'location',
  // The sync cursor is unusable: start a full re-sync.
  ErrorInvalidSyncStateData: 'cursor',
  ErrorSyncFolderNotFound: 'cursor',
  ErrorInvalidWatermark: 'cursor',
  ErrorExpiredSubscription: 'cursor',
  // The object is gone (deleted or moved by the user meanwhile).
  ErrorItemNotFound: 'not-found',
  ErrorFolderNotFound: 'not-found',
};

/** Network-level failures, by Node error code or by the message axios gives. */
const NETWORK: { re: RegExp; code: string; errorCode: ExchangeErrorCode }[] = [
  { re: /ECONNREFUSED/i, code: 'ECONNREFUSED', errorCode: 'transient' },
  { re: /ECONNRESET|socket hang up/i, code: 'ECONNRESET', errorCode: 'transient' },
  {
    re: /ECONNABORTED|ETIMEDOUT|ESOCKETTIMEDOUT|timeout of \d+ms exceeded|\btimed? ?out\b/i,
    code: 'TIMEOUT',
    errorCode: 'transient',
  },
  { re: /EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EPIPE/i, code: 'NETWORK', errorCode: 'transient' },
  // The host name does not resolve: a wrong server location (or a stale Autodiscover answer).
  { re: /ENOTFOUND/i, code: 'ENOTFOUND', errorCode: 'location' },
  { re: /CERT_|certificate|self[- ]signed|SSL|TLS/i, code: 'TLS', errorCode: 'location' },
];

type Bag = Record<string, unknown>;
const isObj = (x: unknown): x is Bag => typeof x === 'object' && x !== null;
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

function ctorName(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (!isObj(x)) return typeof x;
  const c = (x as { constructor?: { name?: unknown } }).constructor;
  const n = c && typeof c.name === 'string' ? c.name : 'Object';
  return n === 'Object' && 'status' in x && ('responseText' in x || 'headers' in x) ? 'xhr' : n;
}

/** ews-javascript-api's Dictionary (`get`/`containsKey`), or its recorded shape `{ objects }`, or a plain map. */
function dictGet(d: unknown, key: string): string | undefined {
  if (!isObj(d)) return undefined;
  const containsKey = d.containsKey;
  const get = d.get;
  if (typeof containsKey === 'function' && typeof get === 'function') {
    try {
      return (containsKey as (k: string) => boolean).call(d, key)
        ? str((get as (k: string) => unknown).call(d, key))
        : undefined;
    } catch {
      return undefined;
    }
  }
  if (isObj(d.objects)) return str(d.objects[key]);
  return str(d[key]);
}

function serviceErrorName(n: unknown): string | undefined {
  const v = num(n);
  if (v === undefined || v === 0) return undefined;
  const name = (ServiceError as unknown as Record<number, string | undefined>)[v];
  return name ?? `ServiceError${v}`;
}

function headerGet(headers: unknown, name: string): string | undefined {
  if (!isObj(headers)) return undefined;
  const direct = headers[name] ?? headers[name.toLowerCase()];
  if (typeof direct === 'string') return direct;
  if (typeof direct === 'number') return String(direct);
  const get = headers.get;
  if (typeof get === 'function') {
    try {
      return str((get as (k: string) => unknown).call(headers, name));
    } catch {
      return undefined;
    }
  }
  return dictGet(headers, name.toLowerCase());
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** `BackOffMilliseconds` arrives as a string in the fault's details (or MessageXml). */
function backOff(details: unknown): number | undefined {
  const s = dictGet(details, 'BackOffMilliseconds');
  if (s === undefined || !/^\s*\d+\s*$/.test(s)) return undefined;
  return Number(s);
}

/** Messages may be shown to users and written to logs: strip anything that looks like a credential, cap length. */
export function sanitizeMessage(m: string): string {
  return m
    .replace(/\b(Basic|NTLM|Negotiate|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/g, '$1 [redacted]')
    .replace(/(password|pwd|passwd)\s*[=:]\s*\S+/gi, '$1=[redacted]')
    .replace(/\/\/[^/@\s:]+:[^/@\s]+@/g, '//[redacted]@')
    .slice(0, 500);
}

function fromHttpStatus(status: number): { code: ExchangeErrorCode; ews: string } | undefined {
  if (status === 401) return { code: 'credentials', ews: 'HTTP401' };
  if (status === 403) return { code: 'permissions', ews: 'HTTP403' };
  if (status === 404 || status === 301 || status === 302 || status === 307 || status === 308)
    return { code: 'location', ews: `HTTP${status}` };
  if (status === 429) return { code: 'throttled', ews: 'HTTP429' };
  if (status === 408 || status === 500 || status === 502 || status === 503 || status === 504)
    return { code: 'transient', ews: `HTTP${status}` };
  return undefined;
}

function network(message: string, errno?: string): { code: ExchangeErrorCode; ews: string } | undefined {
  const probe = `${errno ?? ''} ${message}`;
  for (const n of NETWORK) if (n.re.test(probe)) return { code: n.errorCode, ews: n.code };
  return undefined;
}

/**
 * Normalize anything ews-javascript-api (or our own code around it) rejects with. Never throws, never keeps a
 * reference to the rejection (ServiceResponseException responses can reference the service and its credentials).
 */
export function normalizeExchangeError(rejection: unknown, ctx: RejectionContext = {}): ExchangeError {
  if (isExchangeError(rejection)) return ctx.operation ? rejection.withOperation(ctx.operation) : rejection;
  const rawType = ctorName(rejection);
  const op = ctx.operation !== undefined ? { operation: ctx.operation } : {};
  const headerRetry = parseRetryAfter(headerGet(ctx.headers, 'retry-after'));
  const make = (
    code: ExchangeErrorCode,
    message: string,
    extra: { ewsCode?: string; httpStatus?: number; retryAfterMs?: number } = {},
  ): ExchangeError => {
    const retryAfterMs = extra.retryAfterMs ?? headerRetry;
    return new ExchangeError({
      code,
      message: sanitizeMessage(message || extra.ewsCode || code),
      rawType,
      ...op,
      ...(extra.ewsCode !== undefined ? { ewsCode: extra.ewsCode } : {}),
      ...(extra.httpStatus !== undefined ? { httpStatus: extra.httpStatus } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  };
  const byEws = (ews: string, message: string, retryAfterMs?: number, httpStatus?: number): ExchangeError =>
    make(EWS_CODES[ews] ?? 'unknown', message, {
      ewsCode: ews,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(httpStatus !== undefined ? { httpStatus } : {}),
    });

  if (rejection === undefined || rejection === null) {
    // AutodiscoverService and some paths reject with nothing at all: use what the transport saw.
    if (ctx.httpStatus) {
      const h = fromHttpStatus(ctx.httpStatus);
      if (h) return make(h.code, `HTTP ${ctx.httpStatus}`, { ewsCode: h.ews, httpStatus: ctx.httpStatus });
    }
    return make('unknown', `the Exchange client rejected with ${rawType}`);
  }
  if (typeof rejection === 'string') {
    const net = network(rejection);
    return net ? make(net.code, rejection, { ewsCode: net.ews }) : make('unknown', rejection);
  }
  if (!isObj(rejection)) return make('unknown', `the Exchange client rejected with a ${rawType}`);

  const r = rejection;
  const message = str(r.message) ?? '';

  // ServiceResponseException (HTTP 200, ResponseClass="Error"), or a failed ServiceResponse of a batch call.
  const resp = isObj(r.response) ? r.response : 'errorCode' in r && 'result' in r ? r : undefined;
  if (resp) {
    const ews = serviceErrorName(resp.errorCode);
    if (ews) {
      const m = str(resp.errorMessage) ?? message;
      return byEws(ews, m, backOff(resp.errorDetails));
    }
  }

  // SoapFaultDetails: a SOAP fault (HTTP 500) or the client's wrapper for any non-200 / network failure.
  const status = num(r.HttpStatusCode) ?? num(r.status) ?? ctx.httpStatus;
  const faultCode = str(r.faultCode);
  if (faultCode) {
    const ews = faultCode.replace(/^[\w-]+:/, '');
    // `a:ErrorXxx` names the EWS code; a generic `s:Client`/`s:Server` fault carries it only as ResponseCode.
    const named = /^Error\w+$/.test(ews) ? ews : (serviceErrorName(r.responseCode) ?? ews);
    const faultString = isObj(r.faultString) ? str(r.faultString.faultstring) : str(r.faultString);
    return byEws(named, message || faultString || named, backOff(r.errorDetails), status);
  }
  if (status !== undefined && status !== 200) {
    const h = fromHttpStatus(status);
    const body = str(r.responseText) ?? str(r.response) ?? '';
    const text =
      message || str(r.statusText) || (body.startsWith('<html') ? 'HTML error page' : '') || `HTTP ${status}`;
    const retry = parseRetryAfter(headerGet(r.headers, 'retry-after'));
    if (h)
      return make(h.code, `HTTP ${status}: ${text}`, {
        ewsCode: h.ews,
        httpStatus: status,
        ...(retry !== undefined ? { retryAfterMs: retry } : {}),
      });
    return make('unknown', `HTTP ${status}: ${text}`, { ewsCode: `HTTP${status}`, httpStatus: status });
  }
  const errno = str(r.code);
  const net = network(message, errno);
  if (net) return make(net.code, message || errno || net.ews, { ewsCode: net.ews });
  // A ServiceResponseException carrying a fault-like ResponseCode, e.g. a per-item error copied into a Error.
  const ews = serviceErrorName(r.responseCode) ?? serviceErrorName(r.ErrorCode);
  if (ews && ews !== 'ErrorInternalServerError') return byEws(ews, message, backOff(r.errorDetails));
  return make('unknown', message || `the Exchange client rejected with ${rawType}`);
}
