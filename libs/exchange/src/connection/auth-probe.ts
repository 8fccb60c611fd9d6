import { ExchangeError } from '../errors/exchange-error';
import { normalizeExchangeError } from '../errors/normalize';
import { WireScheme } from './types';

/** Schemes named in a (possibly combined) `WWW-Authenticate` header, lower-case, in order. */
export function parseAuthSchemes(header: string | null | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  // Challenges are comma-separated; auth-params (realm="a, b") also contain commas, so only take a token that
  // starts a segment and is not followed by '='.
  for (const m of header.matchAll(/(?:^|,)\s*([A-Za-z][\w-]*)(?=\s|,|$)(?!\s*=)/g)) {
    const s = (m[1] ?? '').toLowerCase();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * AutoDetect: NTLM when offered (alone or inside Negotiate — we cannot do Kerberos, and Windows accepts NTLM
 * there), else Basic. A server offering neither cannot be used.
 */
export function chooseScheme(offered: readonly string[]): WireScheme | undefined {
  if (offered.includes('ntlm') || offered.includes('negotiate')) return 'ntlm';
  if (offered.includes('basic')) return 'basic';
  return undefined;
}

/**
 * Asks the server once which schemes it offers (an unauthenticated GET answers 401 with `WWW-Authenticate`) and
 * caches the choice per URL, single-flight, so 1,000 mailboxes on one server cost one probe.
 */
export class AuthSchemeProbe {
  private readonly cache = new Map<string, { scheme: WireScheme; expires: number }>();
  private readonly inflight = new Map<string, Promise<WireScheme>>();

  constructor(
    private readonly ttlMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async schemeFor(url: string, timeoutMs: number): Promise<WireScheme> {
    const key = url.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.scheme;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.probe(url, timeoutMs)
      .then((scheme) => {
        this.cache.set(key, { scheme, expires: this.now() + this.ttlMs });
        return scheme;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  invalidate(url: string): void {
    this.cache.delete(url.toLowerCase());
  }

  private async probe(url: string, timeoutMs: number): Promise<WireScheme> {
    let res: Response;
    try {
      res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw normalizeExchangeError(
        cause?.code ? Object.assign(new Error(cause.message ?? cause.code), { code: cause.code }) : e,
        { operation: 'probeAuth' },
      );
    }
    const offered = parseAuthSchemes(res.headers.get('www-authenticate'));
    // 200 without a challenge: nothing to negotiate; Basic credentials are simply sent along.
    if (res.status !== 401) {
      if (res.status >= 200 && res.status < 300) return chooseScheme(offered) ?? 'basic';
      throw normalizeExchangeError(
        { status: res.status, headers: Object.fromEntries(res.headers), message: '' },
        {
          operation: 'probeAuth',
        },
      );
    }
    const scheme = chooseScheme(offered);
    if (!scheme)
      throw new ExchangeError({
        code: 'credentials',
        message: `the server offers no supported authentication scheme (${offered.join(', ') || 'none'})`,
        rawType: 'probe',
        ewsCode: 'HTTP401',
        httpStatus: 401,
        operation: 'probeAuth',
      });
    return scheme;
  }
}
