import {
  BrokerLike,
  ClusterLike,
  FindCoordinator,
  meansStaleCoordinator,
  retryConcurrent,
  transactionCoordinatorCacheApplies,
  withCoordinatorCache,
} from './coordinator-cache';

type Broker = BrokerLike & { endTxn(): Promise<string> };

const kafkaError = (type: string): Error => Object.assign(new Error(type), { type });

/** A cluster whose FindCoordinator answers node `coordinator`, counting the lookups. */
function fakeCluster(fail?: () => Error | undefined) {
  const state = { lookups: 0, coordinator: 1, clock: 0 };
  const brokers = new Map<number, Broker>();
  const broker = (nodeId: number): Broker => {
    let b = brokers.get(nodeId);
    if (!b) {
      b = {
        nodeId,
        endTxn: () => {
          const error = fail?.();
          return error ? Promise.reject(error) : Promise.resolve(`ended on ${nodeId}`);
        },
      };
      brokers.set(nodeId, b);
    }
    return b;
  };
  const cluster: ClusterLike = { findBroker: ({ nodeId }) => Promise.resolve(broker(nodeId)) };
  const find: FindCoordinator = () => {
    state.lookups += 1;
    return Promise.resolve(broker(state.coordinator));
  };
  const cached = withCoordinatorCache(find, 60_000, () => state.clock);
  const lookup = (groupId: string, coordinatorType = 1) =>
    cached.call(cluster, { groupId, coordinatorType }) as Promise<Broker>;
  return { state, lookup };
}

describe('transaction coordinator cache', () => {
  it('asks once per transactional id while the answer is fresh', async () => {
    const { state, lookup } = fakeCluster();
    for (let i = 0; i < 10; i++) await (await lookup('writer-a')).endTxn();
    expect(state.lookups).toBe(1);
    await lookup('writer-b');
    expect(state.lookups).toBe(2);
  });

  it('asks again once the answer is older than the TTL', async () => {
    const { state, lookup } = fakeCluster();
    await lookup('w');
    state.clock = 59_999;
    await lookup('w');
    expect(state.lookups).toBe(1);
    state.clock = 60_000;
    state.coordinator = 2;
    expect((await lookup('w')).nodeId).toBe(2);
    expect(state.lookups).toBe(2);
  });

  it('forgets a coordinator whose request failed because it moved, and finds the new one', async () => {
    let error: Error | undefined = kafkaError('NOT_COORDINATOR_FOR_GROUP');
    const { state, lookup } = fakeCluster(() => error);
    await expect((await lookup('w')).endTxn()).rejects.toBe(error);
    state.coordinator = 3;
    error = undefined;
    const broker = await lookup('w');
    expect(broker.nodeId).toBe(3);
    await expect(broker.endTxn()).resolves.toBe('ended on 3');
    expect(state.lookups).toBe(2);
  });

  it('keeps the coordinator when a request fails for another reason (the broker answered as coordinator)', async () => {
    const { state, lookup } = fakeCluster(() => kafkaError('INVALID_PRODUCER_EPOCH'));
    await expect((await lookup('w')).endTxn()).rejects.toBeTruthy();
    await lookup('w');
    expect(state.lookups).toBe(1);
  });

  it('leaves group coordinator lookups alone (consumer groups keep their own)', async () => {
    const { state, lookup } = fakeCluster();
    await lookup('group', 0);
    await lookup('group', 0);
    expect(state.lookups).toBe(2);
  });

  it('reads coordinator errors and broken connections as a moved coordinator', () => {
    expect(meansStaleCoordinator({ type: 'GROUP_COORDINATOR_NOT_AVAILABLE' })).toBe(true);
    expect(meansStaleCoordinator({ type: 'GROUP_LOAD_IN_PROGRESS' })).toBe(true);
    expect(meansStaleCoordinator({ name: 'KafkaJSConnectionError' })).toBe(true);
    expect(meansStaleCoordinator({ type: 'CONCURRENT_TRANSACTIONS' })).toBe(false);
    expect(meansStaleCoordinator(null)).toBe(false);
  });

  it('finds the kafkajs method it wraps in the installed version', () => {
    expect(transactionCoordinatorCacheApplies()).toBe(true);
  });

  it('retries CONCURRENT_TRANSACTIONS at short, doubling intervals, then gives the error up', async () => {
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    };
    let answers = 3;
    const ok = await retryConcurrent(
      () =>
        answers-- > 0 ? Promise.reject(kafkaError('CONCURRENT_TRANSACTIONS')) : Promise.resolve('added'),
      sleep,
    );
    expect(ok).toBe('added');
    expect(waits).toEqual([5, 10, 20]);

    waits.length = 0;
    const retry = { firstMs: 5, maxMs: 40, totalMs: 100 };
    const never = () => Promise.reject(kafkaError('CONCURRENT_TRANSACTIONS'));
    await expect(retryConcurrent(never, sleep, retry)).rejects.toThrow('CONCURRENT_TRANSACTIONS');
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100);

    waits.length = 0;
    await expect(
      retryConcurrent(() => Promise.reject(kafkaError('INVALID_TXN_STATE')), sleep),
    ).rejects.toThrow();
    expect(waits).toEqual([]);
  });
});
