import { Kafka } from 'kafkajs';
import { CommandBusUnavailableError, CommandTimeoutError, KafkaCommandGateway } from './command-gateway';

/** A kafkajs stand-in whose producer takes `publishMs` and then fails (or succeeds), and whose results never come. */
function stubKafka(publishMs: number, fail: boolean): Kafka {
  const producer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    sendBatch: () =>
      new Promise((resolve, reject) =>
        setTimeout(
          () => (fail ? reject(new Error('Connection error: ECONNREFUSED')) : resolve([])),
          publishMs,
        ),
      ),
  };
  const consumer = {
    events: { FETCH: 'consumer.fetch', GROUP_JOIN: 'consumer.group_join' },
    on: (_event: string, listener: (event: { payload: unknown }) => void) => {
      setImmediate(() => listener({ payload: { memberAssignment: {} } }));
      return () => undefined;
    },
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: () => Promise.resolve(),
  };
  return { producer: () => producer, consumer: () => consumer } as unknown as Kafka;
}

const request = { aggregateType: 'mailbox' as const, aggregateId: 'm1', type: 'X', actor: 'a', command: {} };

describe('KafkaCommandGateway with the broker away (issue #11)', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));
  beforeEach(() => (unhandled.length = 0));

  async function gateway(publishMs: number, fail: boolean, timeoutMs: number) {
    const g = new KafkaCommandGateway(stubKafka(publishMs, fail), {
      topicPrefix: 'p',
      orgId: 'o',
      instanceId: 'i',
      timeoutMs,
    });
    await g.start();
    return g;
  }

  it('a publish that fails in time is a CommandBusUnavailableError naming the command', async () => {
    const g = await gateway(10, true, 200);
    const error = await g.send({ ...request, commandId: 'c-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandBusUnavailableError);
    expect(error).toMatchObject({ commandId: 'c-1' });
    expect(unhandled).toEqual([]);
    await g.stop();
  });

  it('a publish still retrying at the deadline answers the caller then (outcome unknown); its late failure is handled', async () => {
    const g = await gateway(150, true, 20);
    const error = await g.send({ ...request, commandId: 'c-1b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toMatchObject({ commandId: 'c-1b' });
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
    await g.stop();
  });

  it('commands queued behind a stuck publish are not published once their callers stopped waiting', async () => {
    const published: number[] = [];
    const kafka = stubKafka(80, false);
    const producer = kafka.producer();
    const sendBatch = producer.sendBatch.bind(producer);
    producer.sendBatch = ((batch: { topicMessages: { messages: unknown[] }[] }) => {
      published.push(batch.topicMessages.reduce((n, t) => n + t.messages.length, 0));
      return sendBatch(batch as never);
    }) as never;
    const g = new KafkaCommandGateway({ ...kafka, producer: () => producer } as Kafka, {
      topicPrefix: 'p',
      orgId: 'o',
      instanceId: 'i',
      timeoutMs: 20,
    });
    await g.start();
    const first = g.send({ ...request, commandId: 'c-6' }).catch((e: unknown) => e);
    const behind = g.send({ ...request, commandId: 'c-7' }).catch((e: unknown) => e);
    expect(await first).toBeInstanceOf(CommandTimeoutError);
    expect(await behind).toBeInstanceOf(CommandTimeoutError);
    await new Promise((r) => setTimeout(r, 150));
    expect(published).toEqual([1]);
    expect(unhandled).toEqual([]);
    await g.stop();
  });

  it('a command published without an outcome in time is a CommandTimeoutError naming it', async () => {
    const g = await gateway(5, false, 30);
    const error = await g.send({ ...request, commandId: 'c-2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toMatchObject({ commandId: 'c-2' });
    expect(unhandled).toEqual([]);
    await g.stop();
  });

  it('outcomes of a batch nobody awaits yet reject without ending the process', async () => {
    const g = await gateway(5, false, 10);
    const outcomes = await g.sendBatch([
      { ...request, commandId: 'c-3' },
      { ...request, commandId: 'c-4' },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
    const settled = await Promise.allSettled(outcomes);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    await g.stop();
  });

  it('a gateway that is not started refuses with CommandBusUnavailableError', async () => {
    const g = new KafkaCommandGateway(stubKafka(0, false), {
      topicPrefix: 'p',
      orgId: 'o',
      instanceId: 'i',
      timeoutMs: 10,
    });
    await expect(g.send({ ...request, commandId: 'c-5' })).rejects.toBeInstanceOf(CommandBusUnavailableError);
  });
});
