import {
  DEAD_LETTER_HEADERS,
  deadLetterRecord,
  deadLetterTopic,
  topicPrefixOf,
  undecodableReason,
} from './dead-letter';
import { lagToTargets } from './event-consumer';

describe('dead letters', () => {
  it('go to <prefix>.dead-letter, the prefix read off the source topic (dots allowed in it)', () => {
    expect(deadLetterTopic(topicPrefixOf('ssync.mailbox.events'))).toBe('ssync.dead-letter');
    expect(topicPrefixOf('t.e2e.x.mailbox.operational')).toBe('t.e2e.x');
  });

  it('say why the record could not be read', () => {
    expect(undecodableReason(Buffer.from('{not json'))).toMatch(/^not JSON: /);
    expect(undecodableReason(Buffer.from('{"aggregateId":"a","sequence":"1"}'))).toBe(
      'not an event envelope: sequence, type missing or of the wrong type',
    );
    expect(undecodableReason(Buffer.from('42'))).toBe(
      'not an event envelope: aggregateId, sequence, type missing or of the wrong type',
    );
  });

  it('keep the source bytes and headers, and add where they came from', () => {
    const record = deadLetterRecord(
      {
        topic: 'p.profile.events',
        partition: 3,
        offset: '17',
        reason: 'not JSON',
        key: Buffer.from('k'),
        value: Buffer.from('garbage'),
        headers: { type: 'X' },
      },
      'group-1',
    );
    expect(record.key).toEqual(Buffer.from('k'));
    expect(record.value).toEqual(Buffer.from('garbage'));
    expect(record.headers).toEqual({
      type: 'X',
      [DEAD_LETTER_HEADERS.topic]: 'p.profile.events',
      [DEAD_LETTER_HEADERS.partition]: '3',
      [DEAD_LETTER_HEADERS.offset]: '17',
      [DEAD_LETTER_HEADERS.reason]: 'not JSON',
      [DEAD_LETTER_HEADERS.group]: 'group-1',
    });
  });
});

describe('lagToTargets: how far a consumer is from the log as it was at start', () => {
  const targets = new Map([
    ['t:0', 100n],
    ['t:1', 50n],
  ]);

  it('counts the records of its own partitions only', () => {
    expect(lagToTargets(targets, ['t:0'], new Map(), new Map())).toBe(100);
    expect(lagToTargets(targets, ['t:0', 't:1'], new Map([['t:0', 89n]]), new Map())).toBe(10 + 50);
  });

  it('a partition the group had committed to its end is caught up without a single batch', () => {
    expect(lagToTargets(targets, ['t:1'], new Map(), new Map([['t:1', 50n]]))).toBe(0);
  });

  it('takes whichever is further: what it handled or what the group had committed', () => {
    expect(lagToTargets(targets, ['t:0'], new Map([['t:0', 99n]]), new Map([['t:0', 20n]]))).toBe(0);
    expect(lagToTargets(targets, ['t:0'], new Map([['t:0', 10n]]), new Map([['t:0', 90n]]))).toBe(10);
  });

  it('a partition that was empty at start has nothing to catch up', () => {
    expect(lagToTargets(targets, ['t:7'], new Map(), new Map())).toBe(0);
  });
});
