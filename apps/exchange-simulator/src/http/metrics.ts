import { ConcurrencyTracker } from './throttle';

/** Counters the admin API reports at GET /metrics. */
export class Metrics {
  readonly startedAt = new Date().toISOString();
  total = 0;
  byOperation: Record<string, number> = {};
  errorsByCode: Record<string, number> = {};
  errorsByOperation: Record<string, number> = {};
  httpStatus: Record<string, number> = {};
  throttled = { concurrency: 0, rate: 0 };
  faultsInjected: Record<string, number> = {};
  readonly accounts = new ConcurrencyTracker();
  readonly mailboxes = new ConcurrencyTracker();
  openStreams = 0;
  /** Server-side handler time per operation (ms), excluding network and client. */
  handlerMs: Record<string, number> = {};

  request(op: string): void {
    this.total++;
    this.byOperation[op] = (this.byOperation[op] ?? 0) + 1;
  }
  error(op: string, code: string): void {
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
    this.errorsByOperation[op] = (this.errorsByOperation[op] ?? 0) + 1;
  }
  status(code: number): void {
    this.httpStatus[code] = (this.httpStatus[code] ?? 0) + 1;
  }
  fault(kind: string): void {
    this.faultsInjected[kind] = (this.faultsInjected[kind] ?? 0) + 1;
  }

  toJSON(): unknown {
    return {
      startedAt: this.startedAt,
      requests: { total: this.total, byOperation: this.byOperation },
      errors: {
        total: Object.values(this.errorsByCode).reduce((a, b) => a + b, 0),
        byCode: this.errorsByCode,
        byOperation: this.errorsByOperation,
      },
      httpStatus: this.httpStatus,
      throttled: this.throttled,
      faultsInjected: this.faultsInjected,
      concurrency: { accounts: this.accounts.snapshot(), mailboxes: this.mailboxes.snapshot() },
      streaming: { open: this.openStreams },
      handlerMsByOperation: Object.fromEntries(
        Object.entries(this.handlerMs).map(([k, v]) => [k, Math.round(v)]),
      ),
    };
  }

  reset(): void {
    this.total = 0;
    this.byOperation = {};
    this.errorsByCode = {};
    this.errorsByOperation = {};
    this.httpStatus = {};
    this.throttled = { concurrency: 0, rate: 0 };
    this.faultsInjected = {};
    this.handlerMs = {};
    this.accounts.resetHighWater();
    this.mailboxes.resetHighWater();
  }
}
