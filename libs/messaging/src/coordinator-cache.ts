import { createRequire } from 'node:module';

/** FindCoordinator's key type for transactional ids (kafkajs `protocol/coordinatorTypes`). */
const TRANSACTION = 1;

/** Answers from the broker that mean the coordinator asked is not (or not yet) the one: ask again next time. */
const STALE_TYPES = new Set([
  'NOT_COORDINATOR_FOR_GROUP',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
]);
const STALE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

export function meansStaleCoordinator(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { type, name } = error as { type?: unknown; name?: unknown };
  return (
    (typeof type === 'string' && STALE_TYPES.has(type)) || (typeof name === 'string' && STALE_NAMES.has(name))
  );
}

export interface BrokerLike {
  nodeId: number;
}

export interface ClusterLike {
  findBroker(args: { nodeId: number }): Promise<BrokerLike>;
}

export type FindCoordinator = (
  this: ClusterLike,
  args: { groupId: string; coordinatorType?: number },
) => Promise<BrokerLike>;

interface ClusterPrototype {
  findGroupCoordinator: FindCoordinator;
  [PATCHED]?: true;
}

const PATCHED = Symbol.for('ssync.transactionCoordinatorCache');
const CACHE = Symbol('ssync.coordinators');

/** The transaction coordinators one cluster (one kafkajs client) has been told of, by transactional id. */
type Cache = Map<string, { nodeId: number; at: number }>;

/** How long a coordinator is trusted without being asked again, even when nothing failed. */
export const COORDINATOR_TTL_MS = 60_000;

/**
 * kafkajs 2.2.4 sends FindCoordinator before every AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and keeps no
 * answer: ~220 of the broker's ~1,160 requests a second at 10,000 mailboxes (docs/adr/0015, addendum 3). This keeps
 * each transactional id's coordinator for {@link COORDINATOR_TTL_MS}, and forgets it as soon as a request to it
 * fails with a coordinator error or a broken connection, so the next attempt (a writer is re-created after any
 * failure) asks again. Group coordinators are left alone: a consumer group keeps its own.
 *
 * It patches kafkajs's `Cluster` once per process; {@link transactionCoordinatorCacheApplies} tells whether the
 * installed kafkajs still has the method this relies on (a unit test checks it on upgrade).
 */
export function cacheTransactionCoordinators(ttlMs: number = COORDINATOR_TTL_MS): void {
  const proto = clusterPrototype();
  if (!proto || proto[PATCHED]) return;
  proto.findGroupCoordinator = withCoordinatorCache(proto.findGroupCoordinator, ttlMs);
  proto[PATCHED] = true;
}

/** `find` (kafkajs's `Cluster.findGroupCoordinator`) with each cluster's transaction coordinators remembered. */
export function withCoordinatorCache(find: FindCoordinator, ttlMs: number, now = Date.now): FindCoordinator {
  return async function (this: ClusterLike & { [CACHE]?: Cache }, args) {
    if ((args.coordinatorType ?? 0) !== TRANSACTION) return find.call(this, args);
    const cache = (this[CACHE] ??= new Map() as Cache);
    const forget = (): void => {
      cache.delete(args.groupId);
    };
    const known = cache.get(args.groupId);
    let broker: BrokerLike | null = null;
    if (known && now() - known.at < ttlMs)
      broker = await this.findBroker({ nodeId: known.nodeId }).catch(() => null);
    if (!broker) {
      broker = await find.call(this, args);
      cache.set(args.groupId, { nodeId: broker.nodeId, at: now() });
    }
    return forgetOnFailure(broker, forget);
  };
}

/** True when the installed kafkajs has the `Cluster.findGroupCoordinator` this cache wraps. */
export function transactionCoordinatorCacheApplies(): boolean {
  return clusterPrototype() !== null;
}

function clusterPrototype(): ClusterPrototype | null {
  try {
    const load = createRequire(require.resolve('kafkajs'));
    const cluster = load('./src/cluster') as { prototype?: Partial<ClusterPrototype> };
    const proto = cluster.prototype;
    return proto && typeof proto.findGroupCoordinator === 'function' ? (proto as ClusterPrototype) : null;
  } catch {
    return null;
  }
}

/**
 * How long an AddPartitionsToTxn answered `CONCURRENT_TRANSACTIONS` is retried here, at short intervals, before the
 * error goes to kafkajs. The coordinator answers so while it still writes the markers of the transaction just
 * committed: a partition's writer that opens its next transaction at once nearly always meets it. kafkajs treats it
 * like any retriable send error: a metadata refresh and its retry back-off (100 ms and more) per occurrence. Java's
 * producer retries this case after 20 ms.
 */
export const CONCURRENT_TRANSACTIONS_RETRY = { firstMs: 5, maxMs: 40, totalMs: 2_000 } as const;

/**
 * The coordinator broker, whose requests forget the cached coordinator when they fail for a reason that says it
 * moved, and whose AddPartitionsToTxn rides out the previous transaction's completion
 * ({@link CONCURRENT_TRANSACTIONS_RETRY}).
 */
function forgetOnFailure<B extends BrokerLike>(broker: B, forget: () => void, sleep = defaultSleep): B {
  return new Proxy(broker, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const call = (args: unknown[]): unknown => (value as (...a: unknown[]) => unknown).apply(target, args);
      const retries = property === 'addPartitionsToTxn';
      return (...args: unknown[]): unknown => {
        const result = retries ? retryConcurrent(() => call(args) as Promise<unknown>, sleep) : call(args);
        if (result instanceof Promise)
          return result.catch((error: unknown) => {
            if (meansStaleCoordinator(error)) forget();
            throw error;
          });
        return result;
      };
    },
  });
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `request` again while the coordinator answers `CONCURRENT_TRANSACTIONS`, within {@link CONCURRENT_TRANSACTIONS_RETRY}. */
export async function retryConcurrent<T>(
  request: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = defaultSleep,
  retry: { firstMs: number; maxMs: number; totalMs: number } = CONCURRENT_TRANSACTIONS_RETRY,
): Promise<T> {
  let waited = 0;
  let wait = retry.firstMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      const concurrent = (error as { type?: unknown } | null)?.type === 'CONCURRENT_TRANSACTIONS';
      if (!concurrent || waited + wait > retry.totalMs) throw error;
      await sleep(wait);
      waited += wait;
      wait = Math.min(retry.maxMs, wait * 2);
    }
  }
}
