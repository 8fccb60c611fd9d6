import { testKafka, testNamespace } from '../../../test/support/env';
import { createKafka } from './kafka';
import { KafkaProbe } from './kafka-probe';

describe('KafkaProbe (issue #11: readiness names the broker)', () => {
  it('answers true while the broker answers, and remembers the answer briefly', async () => {
    const probe = new KafkaProbe(testKafka(testNamespace('probe')), { cacheMs: 60_000 });
    expect(await probe.reachable()).toBe(true);
    expect(await probe.reachable()).toBe(true);
  });

  it('answers false when nothing listens, and asks again once the answer is old', async () => {
    const nowhere = createKafka({
      clientId: 'probe-nowhere',
      brokers: ['127.0.0.1:1'],
      silent: true,
      retries: 0,
    });
    const probe = new KafkaProbe(nowhere, { cacheMs: 0, timeoutMs: 1000 });
    expect(await probe.reachable()).toBe(false);
    expect(await probe.reachable()).toBe(false);
  });
});
