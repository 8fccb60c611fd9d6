/**
 * `npm run bench:commands`: email server profile creations through HTTP (API → Kafka command → partition owner →
 * transactional events + result → API) at several concurrency levels, next to the raw kafkajs produce rate
 * (idempotent, acks=all, one awaited send per message, same concurrency) on the same broker in the same run.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { loadKafkaSecurity } from '@ssync/common';
import { createKafka } from '@ssync/messaging';
import { benchEnv, cleanUpRun, freePort, load, percentile, startApp, stopProcess, waitHttp } from './lib';

const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const PER_LEVEL = Number(process.env.BENCH_REQUESTS ?? 400);

async function main(): Promise<void> {
  const env = await benchEnv('commands');
  const port = await freePort();
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const api = startApp('apps/api/src/main.js', {
    ...env.env,
    PORT: String(port),
    SSYNC_DEV_TOKEN: token,
    SSYNC_PARTITIONS: '12',
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${base}/health/ready`);
    const kafka = createKafka({
      clientId: 'bench',
      brokers: env.brokers.split(','),
      silent: true,
      ...loadKafkaSecurity(),
    });
    const admin = kafka.admin();
    await admin.connect();
    const rawTopic = `${env.prefix}.raw`;
    await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 12 }], waitForLeaders: true });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const payload = JSON.stringify({
      name: 'x'.repeat(40),
      description: 'y'.repeat(400),
      settings: { a: 1 },
    });

    const body = (i: number) =>
      JSON.stringify({
        name: `Bench profile ${i}`,
        incomingServerLocation: 'http://127.0.0.1:8085/EWS/Exchange.asmx',
        outgoingServerLocation: 'http://127.0.0.1:8085/EWS/Exchange.asmx',
        authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
      });
    // Warm-up: connections, partition ownership, JIT.
    await load(50, 8, async (i) => {
      const res = await fetch(`${base}/api/v1/email-server-profiles`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: body(i),
      });
      await res.text();
    });

    const rows: string[] = [];
    rows.push(
      'concurrency | raw kafkajs produce/s | p50 ms | p99 ms || HTTP creates/s | p50 ms | p99 ms | errors || ratio',
    );
    for (const c of LEVELS) {
      const raw = await load(PER_LEVEL * 2, c, async (i) => {
        await producer.send({ topic: rawTopic, acks: -1, messages: [{ key: String(i), value: payload }] });
      });
      const http = await load(PER_LEVEL, c, async (i) => {
        const res = await fetch(`${base}/api/v1/email-server-profiles`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: body(i),
        });
        await res.text();
        if (res.status !== 201) throw new Error(`status ${res.status}`);
      });
      const rawRate = (PER_LEVEL * 2) / raw.seconds;
      const httpRate = PER_LEVEL / http.seconds;
      rows.push(
        `${String(c).padStart(11)} | ${rawRate.toFixed(0).padStart(21)} | ${percentile(raw.latencies, 50).toFixed(1).padStart(6)} | ${percentile(raw.latencies, 99).toFixed(1).padStart(6)} || ${httpRate.toFixed(0).padStart(14)} | ${percentile(http.latencies, 50).toFixed(1).padStart(6)} | ${percentile(http.latencies, 99).toFixed(1).padStart(6)} | ${String(http.errors).padStart(6)} || ${(httpRate / rawRate).toFixed(3)}`,
      );
    }
    process.stdout.write(
      `\nbench:commands — ${PER_LEVEL} profile creations per level (HTTP) vs ${PER_LEVEL * 2} raw produces, broker ${env.brokers}\n`,
    );
    process.stdout.write(`${rows.join('\n')}\n`);
    process.stdout.write(
      'ratio = HTTP creates/s ÷ raw kafkajs produce/s at the same concurrency (each create is a command produce, a transaction with events + result + offsets, and a result read)\n',
    );
    await producer.disconnect();
    // The API first: its consumers would log every deleted partition as an error.
    await stopProcess(api);
    await admin.disconnect();
    await cleanUpRun(env);
  } finally {
    api.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
