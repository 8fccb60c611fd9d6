/** What Autodiscover tells us about a mailbox. */
export interface DiscoveredEndpoint {
  ewsUrl: string;
  /** When it was discovered (epoch ms). */
  discoveredAt: number;
  displayName?: string;
}

export type Discover = (email: string) => Promise<Omit<DiscoveredEndpoint, 'discoveredAt'>>;

export interface AutodiscoverCacheOptions {
  /** Default 24 h (P-2: "cache, re-discover only on failure or TTL"). */
  ttlMs?: number;
  /**
   * `email` (default): one entry per mailbox. `domain`: the first answer for a domain serves every mailbox in it —
   * right for the usual single-namespace on-premises deployment (the CAS proxies by X-AnchorMailbox), one
   * Autodiscover call for 1,000 mailboxes.
   */
  scope?: 'email' | 'domain';
  /** At most this many discoveries at once per domain (the rest wait). Default 2. */
  maxConcurrentPerDomain?: number;
  now?: () => number;
}

/**
 * P-2: SMTP address → EWS URL, cached with a TTL, re-discovered after `invalidate` (call it when the connection
 * fails with `location` or a network error), single-flight per key, and at most N discoveries in flight per
 * domain so that enabling 1,000 mailboxes does not fire 1,000 Autodiscover requests at once.
 */
export class AutodiscoverCache {
  private readonly ttlMs: number;
  private readonly scope: 'email' | 'domain';
  private readonly maxPerDomain: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, DiscoveredEndpoint>();
  private readonly inflight = new Map<string, Promise<DiscoveredEndpoint>>();
  private readonly running = new Map<string, number>();
  private readonly queued = new Map<string, (() => void)[]>();
  /** Discoveries actually performed (tests and metrics). */
  discoveries = 0;

  constructor(opts: AutodiscoverCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 24 * 60 * 60_000;
    this.scope = opts.scope ?? 'email';
    this.maxPerDomain = Math.max(1, opts.maxConcurrentPerDomain ?? 2);
    this.now = opts.now ?? Date.now;
  }

  private static domainOf(email: string): string {
    const at = email.lastIndexOf('@');
    return (at >= 0 ? email.slice(at + 1) : email).trim().toLowerCase();
  }

  private keyOf(email: string): string {
    return this.scope === 'domain' ? `@${AutodiscoverCache.domainOf(email)}` : email.trim().toLowerCase();
  }

  /** The cached endpoint if fresh, else discovers (sharing a discovery already in flight for the same key). */
  resolve(email: string, discover: Discover): Promise<DiscoveredEndpoint> {
    const key = this.keyOf(email);
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.discoveredAt < this.ttlMs) return Promise.resolve(hit);
    const running = this.inflight.get(key);
    if (running) return running;
    const domain = AutodiscoverCache.domainOf(email);
    const p = this.slot(domain)
      .then(async (release) => {
        try {
          this.discoveries++;
          const found = await discover(email);
          const entry: DiscoveredEndpoint = { ...found, discoveredAt: this.now() };
          this.entries.set(key, entry);
          return entry;
        } finally {
          release();
        }
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Forget the entry for this mailbox (or its domain, with scope `domain`): the next resolve re-discovers. */
  invalidate(email: string): void {
    this.entries.delete(this.keyOf(email));
  }

  peek(email: string): DiscoveredEndpoint | undefined {
    return this.entries.get(this.keyOf(email));
  }

  private slot(domain: string): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.running.set(domain, (this.running.get(domain) ?? 0) + 1);
        let done = false;
        resolve(() => {
          if (done) return;
          done = true;
          this.running.set(domain, (this.running.get(domain) ?? 1) - 1);
          const next = this.queued.get(domain)?.shift();
          if (next) next();
          else if (!this.running.get(domain)) this.running.delete(domain);
        });
      };
      if ((this.running.get(domain) ?? 0) < this.maxPerDomain) grant();
      else {
        const q = this.queued.get(domain) ?? [];
        q.push(grant);
        this.queued.set(domain, q);
      }
    });
  }
}
