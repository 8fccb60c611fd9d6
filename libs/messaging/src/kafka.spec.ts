import { Redacted } from '@ssync/common';
import { Consumer } from 'kafkajs';
import { FetchPacer, KafkaLogQuieter, kafkaSaslOptions, kafkaTlsOptions } from './kafka';

describe('KafkaLogQuieter (issue #11: quiet logs while the broker is away)', () => {
  it('logs a transient broker state once per window as a warning naming it, with how many were held back', () => {
    let now = 0;
    const q = new KafkaLogQuieter(30_000, () => now);
    const refused = 'Connection error: connect ECONNREFUSED 127.0.0.1:9092 {"broker":"127.0.0.1:9092"}';
    const first = q.decide('error', refused);
    expect(first).toMatchObject({ level: 'warn' });
    expect(first!.text).toMatch(/^broker unreachable \(the client retries\): Connection error/);
    for (let i = 0; i < 100; i += 1) expect(q.decide('error', refused)).toBeNull();
    // Another state is its own line.
    expect(q.decide('warn', 'This server is not the leader for that topic-partition')).toMatchObject({
      level: 'warn',
    });
    now += 30_000;
    expect(
      q.decide('error', 'Failed to connect to seed broker, trying another broker from the list')!.text,
    ).toMatch(/100 more like it held back/);
  });

  it("kafkajs' consumer restarts and a new topic not hosted yet are transient states too", () => {
    const q = new KafkaLogQuieter();
    expect(q.decide('error', 'Restarting the consumer in 20446ms {"groupId":"g"}')).toMatchObject({
      level: 'warn',
      text: expect.stringMatching(/^consumer restarting \(the client retries\)/),
    });
    expect(q.decide('error', 'Restarting the consumer in 100ms {"groupId":"h"}')).toBeNull();
    expect(
      q.decide(
        'error',
        'Response Metadata(key: 3, version: 6) {"error":"This server does not host this topic-partition"}',
      ),
    ).toMatchObject({ level: 'warn', text: expect.stringMatching(/^topic not hosted yet/) });
  });

  it('passes anything else through as it came', () => {
    const q = new KafkaLogQuieter();
    expect(q.decide('error', 'Crash: KafkaJSProtocolError: Invalid transactional state')).toEqual({
      level: 'error',
      text: 'Crash: KafkaJSProtocolError: Invalid transactional state',
    });
    expect(q.decide('warn', 'something else')).toEqual({ level: 'warn', text: 'something else' });
  });
});

describe('the Kafka client takes TLS and SASL from the validated config (issue #14)', () => {
  it('is plaintext without them, and hands kafkajs the PEM texts, the check and the credentials', () => {
    expect(kafkaTlsOptions(null)).toBeUndefined();
    expect(kafkaSaslOptions(undefined)).toBeUndefined();
    expect(
      kafkaTlsOptions({
        ca: 'CA',
        cert: 'CERT',
        key: new Redacted('KEY'),
        rejectUnauthorized: true,
        servername: 'kafka.internal',
      }),
    ).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: true, servername: 'kafka.internal' });
    expect(
      kafkaTlsOptions({ ca: null, cert: null, key: null, rejectUnauthorized: true, servername: null }),
    ).toEqual({ rejectUnauthorized: true });
    expect(
      kafkaSaslOptions({ mechanism: 'scram-sha-512', username: 'ssync', password: new Redacted('pw') }),
    ).toEqual({ mechanism: 'scram-sha-512', username: 'ssync', password: 'pw' });
  });
});

describe('FetchPacer (docs/adr/0015, addenda 3 and 5)', () => {
  function pacerAt(paceMs: number): { pacer: FetchPacer; fetchStarts: () => void } {
    let onStart = (): void => undefined;
    const consumer = {
      events: { FETCH_START: 'consumer.fetch_start' },
      on: (_event: string, listener: () => void) => {
        onStart = listener;
        return () => undefined;
      },
    } as unknown as Consumer;
    return { pacer: new FetchPacer(consumer, paceMs), fetchStarts: () => onStart() };
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  async function settledAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
    let done = false;
    void promise.then(() => (done = true));
    await jest.advanceTimersByTimeAsync(ms);
    return done;
  }

  it('ends a caught-up batch no sooner than the pace after its fetch began; a reader catching up never waits', async () => {
    const { pacer, fetchStarts } = pacerAt(1000);
    fetchStarts();
    await jest.advanceTimersByTimeAsync(300);
    const settle = pacer.settle(true);
    expect(await settledAfter(settle, 600)).toBe(false);
    expect(await settledAfter(settle, 150)).toBe(true);
    fetchStarts();
    expect(await settledAfter(pacer.settle(false), 0)).toBe(true);
  });

  it('stops waiting when hurried: a partition taken over is read to its end at once', async () => {
    const { pacer, fetchStarts } = pacerAt(10_000);
    fetchStarts();
    const settle = pacer.settle(true);
    expect(await settledAfter(settle, 100)).toBe(false);
    pacer.hurry();
    expect(await settledAfter(settle, 0)).toBe(true);
    pacer.hurry();
  });

  it('ends every batch of a fetch that waits, however many partitions were handled at once', async () => {
    const { pacer, fetchStarts } = pacerAt(1000);
    fetchStarts();
    const batches = [pacer.settle(true), pacer.settle(true), pacer.settle(true)];
    expect(await settledAfter(Promise.all(batches), 1001)).toBe(true);
    fetchStarts();
    const hurried = [pacer.settle(true), pacer.settle(true)];
    pacer.hurry();
    expect(await settledAfter(Promise.all(hurried), 0)).toBe(true);
  });
});
