import { createServer, Server } from 'node:http';
import { ExchangeError } from '../errors/exchange-error';
import { AuthSchemeProbe } from './auth-probe';

/** A server that answers every request 401 with the given challenges, counting requests. */
async function challenger(
  challenges: string[] | null,
  status = 401,
): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const srv: Server = createServer((req, res) => {
    hits++;
    res.statusCode = status;
    if (challenges) res.setHeader('WWW-Authenticate', challenges);
    res.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/EWS/Exchange.asmx`,
    hits: () => hits,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

describe('AuthSchemeProbe (AutoDetect)', () => {
  it('Basic-only server → basic; probed once per URL even when asked concurrently', async () => {
    const s = await challenger(['Basic realm="mail"']);
    const probe = new AuthSchemeProbe();
    const r = await Promise.all(Array.from({ length: 20 }, () => probe.schemeFor(s.url, 2000)));
    expect(new Set(r)).toEqual(new Set(['basic']));
    expect(s.hits()).toBe(1);
    probe.invalidate(s.url);
    await probe.schemeFor(s.url, 2000);
    expect(s.hits()).toBe(2);
    await s.close();
  });

  it('Negotiate-only server → ntlm (NTLM inside Negotiate)', async () => {
    const s = await challenger(['Negotiate']);
    expect(await new AuthSchemeProbe().schemeFor(s.url, 2000)).toBe('ntlm');
    await s.close();
  });

  it('no usable scheme → credentials; 404 → location', async () => {
    const s = await challenger(['Bearer realm="x"']);
    const e = await new AuthSchemeProbe().schemeFor(s.url, 2000).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExchangeError);
    expect((e as ExchangeError).code).toBe('credentials');
    await s.close();
    const n = await challenger(null, 404);
    expect(
      ((await new AuthSchemeProbe().schemeFor(n.url, 2000).catch((x: unknown) => x)) as ExchangeError).code,
    ).toBe('location');
    await n.close();
  });
});
