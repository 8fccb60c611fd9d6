import { Logger } from '@nestjs/common';
import { ConfigError } from './config';
import { JsonLogger, currentLogFields, installLogger, withLogContext } from './logging';

function capture(level: 'log' | 'debug' | 'warn' = 'log') {
  const out: Record<string, unknown>[] = [];
  const err: Record<string, unknown>[] = [];
  const stream = (into: Record<string, unknown>[]) => ({
    write: (line: string) => into.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger: new JsonLogger('sync-worker', level, { out: stream(out), err: stream(err) }), out, err };
}

describe('JSON logs', () => {
  it('writes one JSON object per line: time, level, role, context, msg', () => {
    const { logger, out } = capture();
    logger.log('owns partitions [0, 1]', 'CommandProcessor mailbox');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      level: 'info',
      role: 'sync-worker',
      context: 'CommandProcessor mailbox',
      msg: 'owns partitions [0, 1]',
    });
    expect(Number.isNaN(Date.parse(String(out[0]!.time)))).toBe(false);
  });

  it('adds the correlation and aggregate of the work it is written in, through awaits', async () => {
    const { logger, out } = capture();
    await withLogContext({ correlationId: 'c-1', aggregateType: 'mailbox', aggregateId: 'm-1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      withLogContext({ commandId: 'k-1' }, () => logger.log('decided', 'X'));
      expect(currentLogFields()).toEqual({
        correlationId: 'c-1',
        aggregateType: 'mailbox',
        aggregateId: 'm-1',
      });
    });
    logger.log('outside', 'X');
    expect(out[0]).toMatchObject({
      correlationId: 'c-1',
      aggregateId: 'm-1',
      commandId: 'k-1',
      msg: 'decided',
    });
    expect(out[1]).not.toHaveProperty('correlationId');
  });

  it('sends warnings and errors to stderr, with the stack apart from the message', () => {
    const { logger, out, err } = capture();
    const error = new Error('boom');
    logger.error('send a1: boom', error.stack, 'OutgoingSender');
    logger.warn('deferred', 'SyncRuntime');
    logger.error(error);
    expect(out).toHaveLength(0);
    expect(err[0]).toMatchObject({ level: 'error', context: 'OutgoingSender', msg: 'send a1: boom' });
    expect(String(err[0]!.stack)).toContain('logging.spec');
    expect(err[1]).toMatchObject({ level: 'warn', context: 'SyncRuntime', msg: 'deferred' });
    expect(err[2]).toMatchObject({ level: 'error', msg: 'boom' });
  });

  it('keeps to LOG_LEVEL', () => {
    const { logger, out } = capture('log');
    logger.debug('not shown', 'X');
    logger.verbose('not shown', 'X');
    expect(out).toHaveLength(0);
    const debug = capture('debug');
    debug.logger.debug('shown', 'X');
    expect(debug.out[0]).toMatchObject({ level: 'debug', msg: 'shown' });
  });

  it('LOG_FORMAT picks JSON (default) or Nest pretty lines, and refuses anything else by name', () => {
    try {
      expect(installLogger('api', {})).toBeInstanceOf(JsonLogger);
      expect(installLogger('api', { LOG_FORMAT: 'pretty', LOG_LEVEL: 'warn' })).toEqual([
        'fatal',
        'error',
        'warn',
      ]);
      expect(() => installLogger('api', { LOG_FORMAT: 'xml' })).toThrow(ConfigError);
      expect(() => installLogger('api', { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
      expect(() => installLogger('api', { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    } finally {
      Logger.overrideLogger(['fatal', 'error', 'warn', 'log']);
    }
  });
});
