/**
 * Driver errors that mean "the server cannot be reached now": the connection, the pool or the topology, never the
 * operation. Matched by name so that callers need not load the driver.
 */
const UNREACHABLE =
  /^Mongo(ose)?(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed|PoolCleared|ServerClosed|ClientClosed|OperationTimeout)Error$/;

/**
 * Server error codes a MongoDB deployment answers while it fails over, steps down or shuts down (a rolling upgrade):
 * the same operation succeeds once a primary answers again.
 */
const FAILOVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the driver puts on errors a retry on a fresh connection may cure. */
const TRANSIENT_LABELS = ['ResetPool', 'RetryableWriteError', 'TransientTransactionError'];

/** Socket errors of a server that went away under an open connection. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** A stack frame inside the MongoDB driver. */
const DRIVER_FRAME = /node_modules[\\/]mongodb[\\/]/;

/**
 * Whether an error says the database cannot be reached now, as opposed to a refused or malformed operation. Looks
 * through wrappers (`cause`, mongoose's `reason`) because mongoose and the driver wrap a socket fault differently on
 * each path.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  // The driver wraps most socket faults; a write to a socket the server already closed comes out bare (EPIPE,
  // "This socket has been ended by the other party"), known only by the driver in its stack.
  const fromDriver =
    error instanceof Error && (/^Mongo/.test(error.name) || DRIVER_FRAME.test(error.stack ?? ''));
  for (let e: unknown = error; e instanceof Error && !seen.has(e);) {
    seen.add(e);
    if (UNREACHABLE.test(e.name)) return true;
    // Mongoose holds operations while disconnected and gives up after bufferTimeoutMS with a plain MongooseError.
    if (e.name === 'MongooseError' && /buffering timed out/.test(e.message)) return true;
    const fields = e as Error & { code?: unknown; errorLabels?: unknown; reason?: unknown };
    if (/^Mongo/.test(e.name)) {
      if (typeof fields.code === 'number' && FAILOVER_CODES.has(fields.code)) return true;
      const labels = Array.isArray(fields.errorLabels) ? (fields.errorLabels as unknown[]) : [];
      if (labels.some((l) => typeof l === 'string' && TRANSIENT_LABELS.includes(l))) return true;
    }
    if (typeof fields.code === 'string' && SOCKET_CODES.has(fields.code) && fromDriver) return true;
    e = e.cause ?? fields.reason;
  }
  return false;
}
