/**
 * One error type for everything Exchange (and the way to it) can throw at us. ews-javascript-api rejects with
 * `SoapFaultDetails`, `ServiceResponseException`, raw XHR-like objects, plain `Error`s or even `undefined`
 * (docs EWS-NOTES.md); `normalizeExchangeError` turns each into one of a few codes, once, here.
 */
export const EXCHANGE_ERROR_CODES = [
  'throttled',
  'transient',
  'credentials',
  'permissions',
  'location',
  'cursor',
  'not-found',
  'unknown',
] as const;
export type ExchangeErrorCode = (typeof EXCHANGE_ERROR_CODES)[number];

export interface ExchangeErrorInit {
  code: ExchangeErrorCode;
  message: string;
  /** What the client rejected with: `SoapFaultDetails`, `ServiceResponseException`, `xhr`, `Error`, `undefined`… */
  rawType: string;
  /** Exchange's own code (`ErrorServerBusy`, `HTTP503`, `ECONNREFUSED`…), when there is one. */
  ewsCode?: string;
  httpStatus?: number;
  /** Server-requested wait: `BackOffMilliseconds` or `Retry-After`. */
  retryAfterMs?: number;
  /** The adapter operation that failed (`syncInbox`, `sendMail`…). */
  operation?: string;
}

export class ExchangeError extends Error {
  readonly code: ExchangeErrorCode;
  readonly rawType: string;
  readonly ewsCode?: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly operation?: string;

  constructor(init: ExchangeErrorInit) {
    super(init.message);
    this.name = 'ExchangeError';
    this.code = init.code;
    this.rawType = init.rawType;
    if (init.ewsCode !== undefined) this.ewsCode = init.ewsCode;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.operation !== undefined) this.operation = init.operation;
  }

  /** A copy tagged with the operation (errors are normalized below the operation that knows its name). */
  withOperation(operation: string): ExchangeError {
    if (this.operation) return this;
    return new ExchangeError({ ...this.toJSON(), operation });
  }

  toJSON(): ExchangeErrorInit {
    return {
      code: this.code,
      message: this.message,
      rawType: this.rawType,
      ...(this.ewsCode !== undefined ? { ewsCode: this.ewsCode } : {}),
      ...(this.httpStatus !== undefined ? { httpStatus: this.httpStatus } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.operation !== undefined ? { operation: this.operation } : {}),
    };
  }
}

export function isExchangeError(e: unknown): e is ExchangeError {
  return e instanceof ExchangeError;
}
