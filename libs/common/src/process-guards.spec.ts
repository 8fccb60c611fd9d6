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
