import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { ConfigError, HealthConfig } from './config';
import { metricsText } from './metrics';
import { Readiness } from './readiness';

export interface HealthAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Seconds a client (or `npm start`) should wait before asking a role that is not ready again. */
export const NOT_READY_RETRY_AFTER_S = 1;

/** The answer of the health listener: liveness needs only a turning event loop; readiness asks the role. */
export async function healthAnswer(
  method: string | undefined,
  url: string | undefined,
  readiness: () => Readiness | Promise<Readiness>,
): Promise<HealthAnswer> {
  const path = (url ?? '/').split('?')[0];
  if (path !== '/health/live' && path !== '/health/ready')
    return { status: 404, headers: {}, body: { statusCode: 404, error: 'Not Found', message: `no ${path}` } };
  if (method !== 'GET' && method !== 'HEAD')
    return {
      status: 405,
      headers: { Allow: 'GET, HEAD' },
      body: { statusCode: 405, error: 'Method Not Allowed', message: 'use GET' },
    };
  if (path === '/health/live') return { status: 200, headers: {}, body: { status: 'ok' } };
  let r: Readiness;
  try {
    r = await readiness();
  } catch (error) {
    r = {
      ready: false,
      reasons: [`the readiness check failed: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
  const body = { status: r.ready ? 'ready' : 'not-ready', reasons: r.reasons, ...(r.details ?? {}) };
  return r.ready
    ? { status: 200, headers: {}, body }
    : { status: 503, headers: { 'Retry-After': String(NOT_READY_RETRY_AFTER_S) }, body };
}

export interface HealthServer {
  /** The port it listens on (the one chosen when configured with 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /health/live`, `GET /health/ready` and the Prometheus `GET /metrics` on their own small listener, for roles
 * that serve no HTTP otherwise. Started before the role's modules, so liveness answers while it is still starting.
 */
export async function startHealthServer(
  config: { host: string; port: number },
  readiness: () => Readiness | Promise<Readiness>,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      void metricsText().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`metrics failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      return;
    }
    void healthAnswer(req.method, req.url, readiness).then((answer) => {
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...answer.headers,
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  // Probes come every few seconds; an idle keep-alive socket must not hold a shutdown up.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The listener a role's configuration asks for, or null when HEALTH_PORT is not set. */
export async function startConfiguredHealthServer(
  config: HealthConfig,
  readiness: () => Readiness | Promise<Readiness>,
): Promise<HealthServer | null> {
  const { host, port } = config;
  if (port === null) return null;
  try {
    return await startHealthServer({ host, port }, readiness);
  } catch (error) {
    throw new ConfigError('HEALTH_PORT', `${port} cannot be listened on at ${host}: ${String(error)}`);
  }
}

/** Whether a dependency answers within `ms` (a probe must answer quickly even when the database does not). */
export async function answersWithin(ms: number, ping: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      ping().then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
