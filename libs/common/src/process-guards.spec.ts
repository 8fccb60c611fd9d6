import { installProcessGuards, isDependencyFault } from './process-guards';

const named = (name: string): Error => Object.assign(new Error('x'), { name });

describe('process guards (issue #11)', () => {
  it('tells dependency faults from bugs', () => {
    for (const name of [
      'KafkaJSConnectionError',
      'KafkaJSNumberOfRetriesExceeded',
      'MongoServerSelectionError',
      'MongooseServerSelectionError',
      'CommandTimeoutError',
      'CommandBusUnavailableError',
    ])
      expect(isDependencyFault(named(name))).toBe(true);
    for (const reason of [new TypeError('x'), named('RangeError'), 'a string', undefined])
      expect(isDependencyFault(reason)).toBe(false);
  });

  it('a refused write or a record the broker never takes is not an outage', () => {
    const duplicateKey = Object.assign(named('MongoServerError'), { code: 11000 });
    const steppedDown = Object.assign(named('MongoServerError'), { code: 189 });
    const tooLarge = Object.assign(named('KafkaJSProtocolError'), { type: 'MESSAGE_TOO_LARGE' });
    const fenced = Object.assign(named('KafkaJSProtocolError'), { type: 'INVALID_PRODUCER_EPOCH' });
    expect(isDependencyFault(duplicateKey)).toBe(false);
    expect(isDependencyFault(named('MongooseValidationError'))).toBe(false);
    expect(isDependencyFault(tooLarge)).toBe(false);
    expect(isDependencyFault(Object.assign(named('KafkaJSNonRetriableError'), { cause: tooLarge }))).toBe(
      false,
    );
    expect(isDependencyFault(steppedDown)).toBe(true);
    // The driver's bare socket error (a write after the server closed it) is the database away too.
    const ended = Object.assign(named('Error'), { code: 'EPIPE' });
    ended.stack =
      'Error: x\n    at Connection.writeCommand (/app/node_modules/mongodb/lib/cmap/connection.js:392:25)';
    expect(isDependencyFault(ended)).toBe(true);
    // A fenced writer is a broker fault: the work is deferred and goes to the new writer.
    expect(isDependencyFault(fenced)).toBe(true);
  });

  it('a dependency fault nobody handled keeps the process; a bug ends it', async () => {
    const exits: number[] = [];
    const uninstall = installProcessGuards('test', (code) => exits.push(code));
    try {
      process.emit('unhandledRejection', named('KafkaJSConnectionError'), Promise.resolve());
      expect(exits).toEqual([]);
      process.emit('unhandledRejection', new TypeError('undefined is not a function'), Promise.resolve());
      expect(exits).toEqual([1]);
    } finally {
      uninstall();
    }
    await Promise.resolve();
  });
});
