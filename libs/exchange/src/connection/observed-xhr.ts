import { AsyncLocalStorage } from 'node:async_hooks';
import type { IXHRApi, IXHROptions, IXHRProgress } from 'ews-javascript-api';

/** What the transport saw during one adapter call: the last HTTP status and headers (lower-case names). */
export interface CallRecord {
  httpStatus?: number;
  headers?: Record<string, string>;
  networkError?: string;
}

const calls = new AsyncLocalStorage<CallRecord>();
// The client's typings name the DOM's XMLHttpRequest, which this (DOM-less) project has no type for.
type XhrResult = ReturnType<IXHRApi['xhr']>;

/** Run `fn` with a fresh record that every XHR made inside it (through ObservedXhr) writes to. */
export function observeCall<T>(fn: () => Promise<T>): { record: CallRecord; result: Promise<T> } {
  const record: CallRecord = {};
  return { record, result: calls.run(record, fn) };
}

function lowerHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof h !== 'object' || h === null) return out;
  const src =
    typeof (h as { toJSON?: unknown }).toJSON === 'function' ? (h as { toJSON(): unknown }).toJSON() : h;
  for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
    if (typeof v === 'string') out[k.toLowerCase()] = v;
    else if (typeof v === 'number') out[k.toLowerCase()] = String(v);
    else if (Array.isArray(v)) out[k.toLowerCase()] = v.map(String).join(', ');
  }
  return out;
}

/**
 * Wraps @ewsjs/xhr so that each failed request's status and headers are known to the adapter call that made it,
 * even with many calls in flight on one service: ews-javascript-api keeps `HttpResponseHeaders` per service (so
 * concurrent calls overwrite each other's `Retry-After`) and AutodiscoverService rejects with `undefined`.
 */
export class ObservedXhr implements IXHRApi {
  constructor(private readonly inner: IXHRApi) {}

  get apiName(): string {
    return `observed(${this.inner.apiName ?? 'xhr'})`;
  }

  async xhr(options: IXHROptions, progress?: (p: IXHRProgress) => void): XhrResult {
    try {
      const r: unknown = await this.inner.xhr(options, progress);
      this.note(r);
      return r as Awaited<XhrResult>;
    } catch (e) {
      this.note(e);
      throw e;
    }
  }

  xhrStream(options: IXHROptions, progress: (p: IXHRProgress) => void): XhrResult {
    return this.inner.xhrStream(options, progress);
  }

  disconnect(): void {
    this.inner.disconnect();
  }

  private note(r: unknown): void {
    const rec = calls.getStore();
    if (!rec || typeof r !== 'object' || r === null) return;
    const x = r as { status?: unknown; headers?: unknown; message?: unknown };
    if (typeof x.status === 'number') {
      rec.httpStatus = x.status;
      rec.headers = lowerHeaders(x.headers);
    } else if (typeof x.message === 'string') rec.networkError = x.message;
  }
}
