import { answersWithin, healthAnswer, startHealthServer } from './health-server';
import { ewsCalls, installMetrics } from './metrics';
import { roleReadiness } from './readiness';

describe('health answers', () => {
  const ready = () => roleReadiness({ consumerJoined: true }, [], { startLag: 0 });
  const behind = () =>
    roleReadiness({ consumerJoined: true }, ['events: 12 record(s) behind'], { startLag: 12 });

  it('liveness needs nothing but a turning event loop', async () => {
    await expect(healthAnswer('GET', '/health/live', () => Promise.reject(new Error('x')))).resolves.toEqual({
      status: 200,
      headers: {},
      body: { status: 'ok' },
    });
  });

  it('readiness is 200 with the report when ready', async () => {
    expect(await healthAnswer('GET', '/health/ready?verbose', ready)).toEqual({
      status: 200,
      headers: {},
      body: { status: 'ready', reasons: [], checks: { consumerJoined: true }, startLag: 0 },
    });
  });

  it('readiness is 503 with Retry-After and names why when not ready', async () => {
    const answer = await healthAnswer('GET', '/health/ready', behind);
    expect(answer.status).toBe(503);
    expect(answer.headers).toEqual({ 'Retry-After': '1' });
    expect(answer.body).toMatchObject({ status: 'not-ready', reasons: ['events: 12 record(s) behind'] });
  });

  it('a readiness check that throws is a 503 that says so, not a crash', async () => {
    const answer = await healthAnswer('GET', '/health/ready', () => {
      throw new Error('boom');
    });
    expect(answer).toMatchObject({ status: 503, body: { reasons: ['the readiness check failed: boom'] } });
  });

  it('anything else is 404, or 405 for another method', async () => {
    expect((await healthAnswer('GET', '/metrics', ready)).status).toBe(404);
    expect(await healthAnswer('POST', '/health/ready', ready)).toMatchObject({
      status: 405,
      headers: { Allow: 'GET, HEAD' },
    });
  });
});

describe('roleReadiness', () => {
  it('every failed check is a reason, and so is anything the stores say', () => {
    expect(roleReadiness({ mongodb: false, gateway: true }, ['mailboxes: 1 sequence gap(s)'])).toEqual({
      ready: false,
      reasons: ['mongodb: not ready', 'mailboxes: 1 sequence gap(s)'],
      details: { checks: { mongodb: false, gateway: true } },
    });
  });
});

describe('answersWithin', () => {
  it('is false for a ping that fails or does not answer in time', async () => {
    expect(await answersWithin(1000, () => Promise.resolve({ ok: 1 }))).toBe(true);
    expect(await answersWithin(1000, () => Promise.reject(new Error('down')))).toBe(false);
    expect(await answersWithin(10, () => new Promise(() => undefined))).toBe(false);
  });
});

describe('the health listener serves Prometheus metrics (issue #12)', () => {
  it('GET /metrics answers the text format with the role on every series', async () => {
    installMetrics('test-role');
    ewsCalls.inc({ operation: 'syncInbox', outcome: 'ok' });
    const server = await startHealthServer({ host: '127.0.0.1', port: 0 }, () => ({
      ready: true,
      reasons: [],
    }));
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toMatch(/ssync_ews_calls_total\{operation="syncInbox",outcome="ok",role="test-role"\} 1/);
      expect(text).toContain('ssync_process_resident_memory_bytes');
      expect(text).toContain('# TYPE ssync_poll_lateness_seconds histogram');
      expect((await fetch(`http://127.0.0.1:${server.port}/health/live`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
