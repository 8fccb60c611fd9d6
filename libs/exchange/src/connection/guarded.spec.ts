import { UNLIMITED } from '../limiter/connection-limiter';
import { CallNotStartedError, ExchangeConnection } from './connection';

describe('ExchangeConnection.guarded', () => {
  const failures: unknown[] = [];
  const conn = new ExchangeConnection(
    undefined as never,
    'bob@contoso.test',
    'http://exchange.test/EWS/Exchange.asmx',
    'basic',
    false,
    1_000,
    UNLIMITED,
    { key: 'mailbox:bob@contoso.test', max: 1 },
    (e) => failures.push(e),
  );

  beforeEach(() => (failures.length = 0));

  it('asks the guard before every call and sends nothing when it says no', async () => {
    const seen: string[] = [];
    let allow = true;
    const guarded = conn.guarded(() => allow);
    await expect(guarded.run('first', () => Promise.resolve(seen.push('first')))).resolves.toBe(1);
    allow = false;
    await expect(guarded.run('second', () => Promise.resolve(seen.push('second')))).rejects.toBeInstanceOf(
      CallNotStartedError,
    );
    expect(seen).toEqual(['first']);
    // Not an Exchange failure: the connection's failure hook (re-discovery, auth re-probe) does not see it.
    expect(failures).toEqual([]);
  });

  it('rethrows what the guard throws, unchanged, and leaves the unguarded connection alone', async () => {
    const boom = new Error('command timed out');
    const guarded = conn.guarded(() => Promise.reject(boom));
    await expect(guarded.run('call', () => Promise.resolve('sent'))).rejects.toBe(boom);
    await expect(conn.run('call', () => Promise.resolve('sent'))).resolves.toBe('sent');
    expect(failures).toEqual([]);
  });
});
