import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger, LogLevel, LoggerService } from '@nestjs/common';
import pino, { DestinationStream } from 'pino';
import { ConfigError, nestLogLevels } from './config';

/** What a log line says about the work it was written in: set once where the work starts, not at every call. */
export interface LogFields {
  correlationId?: string;
  commandId?: string;
  aggregateType?: string;
  aggregateId?: string;
  mailboxId?: string;
}

const context = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to every log line written in it (and in what it awaits). */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

/** The fields of the work running now (e.g. the correlation id a command inherits from its HTTP request). */
export function currentLogFields(): LogFields {
  return context.getStore() ?? {};
}

const PINO_LEVEL: Record<LogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** A Nest `Logger` puts its context last; an error's stack comes before it. */
function split(params: unknown[]): { context?: string; stack?: string; extra: unknown[] } {
  const rest = [...params];
  const context =
    rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
  const at = rest.findIndex((p) => typeof p === 'string' && /\n\s+at /.test(p));
  const stack = at >= 0 ? (rest.splice(at, 1)[0] as string) : undefined;
  return { context, stack, extra: rest.filter((p) => p !== undefined) };
}

/**
 * One JSON object per line (pino): time, level, role, context (the Nest logger's name), msg, and the fields of
 * {@link withLogContext}. Errors and warnings go to stderr, the rest to stdout; written synchronously, so the line
 * before an exit is not lost.
 */
export class JsonLogger implements LoggerService {
  private readonly out: pino.Logger;
  private readonly err: pino.Logger;

  constructor(
    role: string,
    level: LogLevel = 'log',
    streams: { out?: DestinationStream; err?: DestinationStream } = {},
  ) {
    const options: pino.LoggerOptions = {
      level: PINO_LEVEL[level],
      base: { role, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...context.getStore() }),
    };
    this.out = pino(options, streams.out ?? pino.destination({ dest: 1, sync: true }));
    this.err = pino(options, streams.err ?? pino.destination({ dest: 2, sync: true }));
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const { context: ctx, stack, extra } = split(params);
    const fields: Record<string, unknown> = {};
    if (ctx) fields.context = ctx;
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      fields.stack = stack ?? message.stack;
    } else {
      msg = typeof message === 'string' ? message : JSON.stringify(message);
      if (stack) fields.stack = stack;
    }
    if (extra.length > 0) fields.extra = extra;
    const target = level === 'fatal' || level === 'error' || level === 'warn' ? this.err : this.out;
    target[PINO_LEVEL[level]](fields, msg);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}

/**
 * The logger of a role, from `LOG_FORMAT` (`json`, the default: what a log collector reads; `pretty`: Nest's
 * coloured lines, for a person) and `LOG_LEVEL`. Installed for Nest's static `Logger` at once, so lines written
 * before the application exists take the same form; pass the result to `NestFactory` as `logger`.
 */
export function installLogger(
  role: string,
  env: NodeJS.ProcessEnv = process.env,
): LoggerService | LogLevel[] {
  const format = env.LOG_FORMAT ?? 'json';
  if (format !== 'json' && format !== 'pretty') throw new ConfigError('LOG_FORMAT', 'must be json or pretty');
  const levels = nestLogLevels(env);
  if (format === 'pretty') {
    Logger.overrideLogger(levels);
    return levels;
  }
  const logger = new JsonLogger(role, levels[levels.length - 1]);
  Logger.overrideLogger(logger);
  return logger;
}
