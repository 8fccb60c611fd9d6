import { Logger } from '@nestjs/common';

/** Errors of a dependency that comes back (the broker, the database, a command's late outcome): not bugs. */
const DEPENDENCY_FAULT =
  /^(KafkaJS\w*|Mongo\w*Error|Mongoose\w*Error|CommandTimeoutError|CommandBusUnavailableError)$/;

export function isDependencyFault(error: unknown): error is Error {
  return error instanceof Error && DEPENDENCY_FAULT.test(error.name);
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
