import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ownInfraPorts } from './infra';

describe('ownInfraPorts', () => {
  it('gives a block below the ephemeral range that covers the neighbours infra.mjs listens on', async () => {
    const own = await ownInfraPorts();
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    const all = Object.values(own.env).map(Number);
    expect(new Set(all).size).toBe(7);
    expect(Math.max(...all)).toBeLessThan(low);
    expect(Math.max(...all) - Math.min(...all)).toBe(6);
    expect(own.env.SSYNC_KAFKA_TLS_PORT).toBe(String(own.kafka + 2));
    expect(own.env.SSYNC_KAFKA_SASL_PORT).toBe(String(own.kafka + 3));
    expect(own.env.SSYNC_MONGO_TLS_PORT).toBe(String(own.mongo + 1));
    for (const port of all) {
      await new Promise<void>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
  });
});
