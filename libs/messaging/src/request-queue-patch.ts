import { createRequire } from 'node:module';

/** kafkajs's own retry interval for requests held back by client-side throttling or the in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The part of kafkajs's per-connection `RequestQueue` the patch reads and replaces. */
export interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('ssync.requestQueueIdleLoop');

/**
 * kafkajs 2.2.4 re-arms a 1 ms timer on every connection after each check of its pending requests, whether or not
 * any are pending (tulios/kafkajs#1556, #1704: `throttledUntil` starts at -1, so the delay is negative). Every
 * connection of every process then wakes ~1,000 times a second doing nothing: a sixth of the API's CPU in the
 * `bench:sync` profile (docs/adr/0015, addendum 3). This schedules a check only when one can be due: requests are
 * pending, or the broker throttled this connection. A push or a response checks the queue by itself.
 */
export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** Installs {@link scheduleCheckPendingRequests} in kafkajs's `RequestQueue`, once per process. */
export function stopIdleRequestQueueLoop(): void {
  const proto = requestQueuePrototype();
  if (!proto || proto[PATCHED]) return;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  proto[PATCHED] = true;
}

/** True when the installed kafkajs has the `RequestQueue.scheduleCheckPendingRequests` this replaces. */
export function requestQueuePatchApplies(): boolean {
  return requestQueuePrototype() !== null;
}

function requestQueuePrototype(): (RequestQueueLike & { [PATCHED]?: true }) | null {
  try {
    const load = createRequire(require.resolve('kafkajs'));
    const queue = load('./src/network/requestQueue') as { prototype?: Partial<RequestQueueLike> };
    const proto = queue.prototype;
    return proto &&
      typeof proto.scheduleCheckPendingRequests === 'function' &&
      typeof proto.checkPendingRequests === 'function'
      ? (proto as RequestQueueLike)
      : null;
  } catch {
    return null;
  }
}
