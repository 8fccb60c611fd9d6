import {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoTopologyClosedError,
} from 'mongodb';
import { isDatabaseUnavailable } from './database-faults';

const named = (name: string, message = 'x', fields: object = {}): Error =>
  Object.assign(new Error(message), { name }, fields);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['the driver cannot select a server', named('MongoServerSelectionError', 'connect ECONNREFUSED')],
    [
      'a connection closed under an operation',
      new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'),
    ],
    ['a socket timed out', new MongoNetworkTimeoutError('timed out')],
    ['the server was closed while the topology changed', new MongoServerClosedError()],
    ['the topology was closed', new MongoTopologyClosedError()],
    ['mongoose gave up selecting a server', named('MongooseServerSelectionError')],
    ['the pool was cleared', named('MongoPoolClearedError')],
    [
      'mongoose gave up on a buffered operation',
      named('MongooseError', 'Operation `m.find()` buffering timed out'),
    ],
  ])('%s: yes', (_, error) => expect(isDatabaseUnavailable(error)).toBe(true));

  it.each([
    ['a primary stepping down', { code: 189 }],
    ['a node that is no longer primary', { code: 10107 }],
    ['a node shutting down', { code: 91 }],
    ['an error the driver labels for a fresh pool', { code: 1, errorLabels: ['ResetPool'] }],
  ])('a server error during a failover (%s): yes', (_, fields) =>
    expect(isDatabaseUnavailable(new MongoServerError({ message: 'x', ...fields }))).toBe(true),
  );

  it('a driver error wrapping a reset socket: yes; the same socket error from anything else: no', () => {
    const reset = named('Error', 'read ECONNRESET', { code: 'ECONNRESET' });
    expect(isDatabaseUnavailable(named('MongoUnexpectedServerResponseError', 'x', { cause: reset }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(reset)).toBe(false);
    expect(isDatabaseUnavailable(named('FetchError', 'x', { cause: reset }))).toBe(false);
  });

  it('a bare socket error thrown from inside the driver: yes (a write after the server closed the socket)', () => {
    const ended = named('Error', 'This socket has been ended by the other party', { code: 'EPIPE' });
    ended.stack =
      'Error: This socket has been ended by the other party\n    at Socket.writeAfterFIN [as write] (node:net:566:14)\n' +
      '    at Connection.writeCommand (/app/node_modules/mongodb/lib/cmap/connection.js:392:25)';
    expect(isDatabaseUnavailable(ended)).toBe(true);
    const elsewhere = named('Error', 'This socket has been ended by the other party', { code: 'EPIPE' });
    elsewhere.stack =
      'Error: This socket has been ended by the other party\n    at Socket.writeAfterFIN (node:net:566:14)';
    expect(isDatabaseUnavailable(elsewhere)).toBe(false);
  });

  it('a wrapped fault is found through cause and reason', () => {
    const inner = new MongoNetworkError('closed');
    expect(isDatabaseUnavailable(named('MongooseError', 'x', { cause: inner }))).toBe(true);
    expect(isDatabaseUnavailable(named('MongooseError', 'x', { reason: inner }))).toBe(true);
  });

  it('refused or malformed operations: no', () => {
    expect(
      isDatabaseUnavailable(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 })),
    ).toBe(false);
    expect(isDatabaseUnavailable(named('MongooseError', 'Cast to ObjectId failed'))).toBe(false);
    expect(isDatabaseUnavailable(named('ValidationError'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('MongoNetworkError')).toBe(false);
  });

  it('a cycle of causes ends', () => {
    const a = named('MongooseError', 'a');
    const b = named('MongooseError', 'b', { cause: a });
    (a as Error & { cause?: unknown }).cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});
