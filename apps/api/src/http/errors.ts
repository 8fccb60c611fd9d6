import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import { isDatabaseUnavailable } from '@ssync/common';
import {
  CommandBusUnavailableError,
  CommandFailure,
  CommandResult,
  CommandTimeoutError,
} from '@ssync/messaging';

export interface ViolationBody {
  field: string;
  rule: string;
  message: string;
}

/**
 * Rules a well-formed request breaks only by naming something that cannot take it (a profile that does not exist or
 * is deactivated): the request is fine, the record it names is not, so the answer is 422, not 400.
 */
const REFERENCE_RULES: ReadonlySet<string> = new Set(['profileExists', 'profileActive']);

const namesOnlyWhatCannotTakeIt = (violations: readonly ViolationBody[]): boolean =>
  violations.length > 0 && violations.every((v) => REFERENCE_RULES.has(v.rule));

const REASON: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'Unprocessable Entity',
};

function refusalBody(status: number, message: string, violations: readonly ViolationBody[]) {
  return { statusCode: status, error: REASON[status] ?? 'Bad Request', message, violations };
}

/** A 400 naming each field and the rule it breaks (a 422 when every one names a record that cannot take it). */
export class ValidationFailed extends HttpException {
  constructor(readonly violations: ViolationBody[]) {
    const status = namesOnlyWhatCannotTakeIt(violations)
      ? HttpStatus.UNPROCESSABLE_ENTITY
      : HttpStatus.BAD_REQUEST;
    super(
      refusalBody(status, violations.map((v) => `${v.field}: ${v.message}`).join('; '), violations),
      status,
    );
  }
}

const FAILURE_STATUS: Record<CommandFailure['kind'], number> = {
  validation: HttpStatus.BAD_REQUEST,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  gone: HttpStatus.CONFLICT,
  malformed: HttpStatus.UNPROCESSABLE_ENTITY,
};

/** A command its aggregate refused: nothing changed. */
export class CommandRefused extends HttpException {
  constructor(failure: CommandFailure) {
    const status =
      failure.kind === 'validation' && namesOnlyWhatCannotTakeIt(failure.violations)
        ? HttpStatus.UNPROCESSABLE_ENTITY
        : FAILURE_STATUS[failure.kind];
    super(refusalBody(status, failure.message, failure.violations), status);
  }
}

/** A 503 that says when to ask again (`Retry-After`): the answer would be partial or wrong now, not later. */
export class ServiceUnavailable extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super(
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message,
        retryAfterSeconds,
        ...details,
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

/** The result of a command its aggregate accepted; a refusal becomes the HTTP error that says why. */
export function acceptedOrThrow<S>(result: CommandResult<S>): CommandResult<S> {
  if (!result.accepted || result.error) {
    throw new CommandRefused(result.error ?? { kind: 'malformed', message: 'refused', violations: [] });
  }
  return result;
}

/** Seconds a client is told to wait while a dependency (the broker, the database) is away. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/**
 * The last word on every error: HTTP errors keep their status and body; a command the broker did not take is a 503
 * and one whose outcome is unknown a 504, both naming the command, and a database that cannot be reached a 503,
 * all with `Retry-After`; anything else is a 500 that says nothing of the request (no body, no secrets).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      if (exception instanceof ServiceUnavailable)
        res.setHeader('Retry-After', String(exception.retryAfterSeconds));
      res
        .status(exception.getStatus())
        .json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    if (exception instanceof CommandTimeoutError) {
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      res.status(HttpStatus.GATEWAY_TIMEOUT).json({
        statusCode: 504,
        error: 'Gateway Timeout',
        message: exception.message,
        commandId: exception.commandId,
        retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
      });
      return;
    }
    if (exception instanceof CommandBusUnavailableError) {
      this.logger.warn(exception.message);
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({
        statusCode: 503,
        error: 'Service Unavailable',
        message: `the message broker cannot be reached: ${exception.message}; retry with the same Idempotency-Key`,
        commandId: exception.commandId,
        dependency: 'kafka',
        retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
      });
      return;
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the database cannot be reached; retry later',
        dependency: 'mongodb',
        retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
      });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : 'unknown error');
    res
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}
