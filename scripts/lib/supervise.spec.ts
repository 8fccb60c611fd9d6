import { RestartPolicy, errorLines, readinessChange } from './supervise';

describe('npm start supervision (issue #11)', () => {
  it('restarts at once, then backs off doubling up to the cap; a long run starts the count again', () => {
    const p = new RestartPolicy({ baseMs: 1000, maxMs: 8000, stableMs: 60_000 });
    expect([1, 2, 3, 4, 5, 6].map(() => p.next(500).delayMs)).toEqual([0, 1000, 2000, 4000, 8000, 8000]);
    expect(p.next(60_000)).toEqual({ delayMs: 0, restart: 1 });
    expect(p.next(10)).toEqual({ delayMs: 1000, restart: 2 });
  });

  it('says when a role stops being ready and why, and when it is ready again', () => {
    expect(readinessChange('api', null, { ready: true, reasons: [] })).toBeNull();
    expect(readinessChange('api', true, { ready: true, reasons: [] })).toBeNull();
    expect(readinessChange('api', true, { ready: false, reasons: ['kafka: not ready'] })).toBe(
      'api not ready: kafka: not ready',
    );
    expect(readinessChange('api', false, { ready: false, reasons: ['kafka: not ready'] })).toBeNull();
    expect(readinessChange('api', false, { ready: true, reasons: [] })).toBe('api ready again');
    expect(readinessChange('api', true, { ready: false, reasons: [] })).toBe('api not ready: no answer');
  });
});

describe('errorLines (what npm start echoes of a role)', () => {
  it('shows JSON error lines as context and message, and nothing of the other levels', () => {
    const text = [
      JSON.stringify({ level: 'warn', context: 'Kafka', msg: 'broker away' }),
      JSON.stringify({
        level: 'error',
        context: 'OutgoingSender',
        msg: 'send a1: boom',
        stack: 'Error: boom\n  at x',
      }),
      JSON.stringify({ level: 'fatal', msg: 'bye' }),
      '',
    ].join('\n');
    expect(errorLines(text)).toEqual(['OutgoingSender: send a1: boom', 'bye']);
  });

  it('keeps pretty (LOG_FORMAT=pretty) error lines as they are', () => {
    expect(errorLines('[Nest] 1  - ERROR [X] failed\nplain line\nTypeError: y\n')).toEqual([
      '[Nest] 1  - ERROR [X] failed',
      'TypeError: y',
    ]);
  });
});
