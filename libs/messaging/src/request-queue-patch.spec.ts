import { createRequire } from 'node:module';
import { RequestQueueLike, requestQueuePatchApplies, stopIdleRequestQueueLoop } from './request-queue-patch';

type Queue = RequestQueueLike & { destroy(): void; inflight: Map<number, unknown> };
type QueueClass = { new (options: Record<string, unknown>): Queue; prototype: RequestQueueLike };

const RequestQueue = createRequire(require.resolve('kafkajs'))('./src/network/requestQueue') as QueueClass;
const original = RequestQueue.prototype.scheduleCheckPendingRequests;
const logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const queue = (): Queue =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    clientId: 'test',
    broker: 'b:9092',
    logger,
  });

describe("kafkajs RequestQueue's idle timer (tulios/kafkajs#1556)", () => {
  const made: Queue[] = [];
  afterAll(() => made.forEach((q) => q.destroy()));

  it('unpatched, kafkajs 2.2.4 re-arms a timer with nothing pending (the loop this removes)', () => {
    const q = queue();
    made.push(q);
    original.call(q);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
  });

  it('patched, a check with nothing pending and no throttle arms no timer', () => {
    expect(requestQueuePatchApplies()).toBe(true);
    stopIdleRequestQueueLoop();
    const q = queue();
    made.push(q);
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('patched, a throttled connection still checks when the throttle ends', () => {
    stopIdleRequestQueueLoop();
    const q = queue();
    made.push(q);
    q.throttledUntil = Date.now() + 5000;
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
  });

  it('patched, pending requests are checked again', async () => {
    stopIdleRequestQueueLoop();
    const q = queue();
    made.push(q);
    let checks = 0;
    const check = q.checkPendingRequests.bind(q);
    q.checkPendingRequests = () => {
      checks += 1;
      check();
    };
    q.inflight.set(1, {}); // the in-flight limit (1) is reached: the next request waits
    q.pending.push({});
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((r) => setTimeout(r, 30));
    expect(checks).toBeGreaterThan(0);
    q.pending.length = 0;
  });
});
