import { Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-faults';

/** Errors of the broker or of a command's late outcome: the broker comes back (or a fenced writer hands over). */
const BROKER_FAULT = /^(KafkaJS\w*|CommandTimeoutError|CommandBusUnavailableError)$/;

/** Broker answers that no retry cures: the request itself is wrong. */
const PERMANENT_BROKER_ANSWERS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
]);

/**
 * A fault of a dependency that comes back: the broker away, the database unreachable, a command's outcome late.
 * Not a refused write (a duplicate key, a validation error) nor a message the broker will never take: retrying
 * those would hold the work back forever while telling administrators a dependency is down.
 */
export function isDependencyFault(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (isDatabaseUnavailable(error)) return true;
  if (!BROKER_FAULT.test(error.name)) return false;
  // kafkajs wraps a refused request in KafkaJSNonRetriableError with the protocol error as its cause.
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    const type = (e as Error & { type?: unknown }).type;
    if (typeof type === 'string' && PERMANENT_BROKER_ANSWERS.has(type)) return false;
  }
  return true;
}

/**
 * A rejection nobody handled. A dependency fault is logged as a warning and the process goes on: it reconnects
 * when the dependency returns (issue #11). Anything else is a bug: logged, and the process exits so that its
 * supervisor (`npm start`, Kubernetes) starts a clean one.
 */
export function installProcessGuards(
  role: string,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const logger = new Logger(role);
  const onRejection = (reason: unknown) => {
    if (isDependencyFault(reason)) {
      logger.warn(`a dependency is away: ${reason.name}: ${reason.message}`);
      return;
    }
    logger.error(
      `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  return () => process.off('unhandledRejection', onRejection);
}
