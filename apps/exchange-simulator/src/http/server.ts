import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { El, NS, XmlParseError, esc, parseXml } from '../xml/xml';
import { Store } from '../store/store';
import { Account, Mailbox } from '../store/model';
import { EwsContext, HANDLERS, responseCount } from '../ews/operations';
import {
  SERVER_VERSION_INFO,
  SoapFault,
  backOffXml,
  envelope,
  errorMessage,
  errorResponse,
  opResponse,
  successMessage,
} from '../ews/soap';
import { Subscriptions, eventXml } from '../ews/subscriptions';
import { getUserSettings } from '../ews/autodiscover';
import { validateRequest } from '../ews/validate';
import { Authenticator, send401 } from './auth';
import { FaultInjector, FaultRule } from './faults';
import { Metrics } from './metrics';
import { RateLimiter } from './throttle';
import { RequestLog } from './request-log';
import { handleAdmin } from '../admin/admin';

export interface ServerOptions {
  port: number;
  host: string;
  /** EWSMaxConcurrency per authenticated account (0 = unlimited). */
  maxConcurrency: number;
  /** How a request over the concurrency budget is refused. */
  concurrencyError: 'ErrorServerBusy' | 'ErrorExceededConnectionCount';
  /** BackOffMilliseconds sent with ErrorServerBusy. */
  backOffMs: number;
  /** Optional per-account request budget: `rateLimit` requests per `rateWindowMs` (0 = off). */
  rateLimit: number;
  rateWindowMs: number;
  /** Check every request against the EWS schema rules before running it. */
  validateRequests: boolean;
  /** EWSFindCountLimit. */
  findCountLimit: number;
  /** Interval between streaming heartbeats (ConnectionStatus OK). */
  heartbeatMs: number;
  /** Minutes per ConnectionTimeout unit of GetStreamingEvents; tests shorten it. */
  streamingMinuteMs: number;
  domain: string;
  serverName: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  log: boolean;
  /** Fixed delay added to every EWS request (ms). */
  latencyMs: number;
  /** EWS requests kept in the request log (a ring; 0 = no log). */
  requestLogSize: number;
}

const MAX_BODY = 64 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The simulator process: HTTP(S) listener, EWS + Autodiscover endpoints, admin API, throttling and faults. */
export class SimulatorServer {
  readonly metrics = new Metrics();
  readonly faults = new FaultInjector();
  readonly subscriptions: Subscriptions;
  readonly auth: Authenticator;
  readonly rate: RateLimiter;
  readonly requestLog: RequestLog;
  private server?: Server;
  private streams = new Set<() => void>();
  port = 0;
  /** Test hook: sees every EWS/Autodiscover response body (whole envelope or streaming chunk) with its operation. */
  tap?: (op: string, xml: string) => void;

  constructor(
    public store: Store,
    readonly opts: ServerOptions,
    readonly hooks: { snapshot?: () => Promise<string | undefined> } = {},
  ) {
    this.subscriptions = new Subscriptions(store);
    this.auth = new Authenticator(store, opts.domain, opts.serverName);
    this.rate = new RateLimiter(opts.rateLimit, opts.rateWindowMs);
    this.requestLog = new RequestLog(opts.requestLogSize ?? 100_000);
  }

  get baseUrl(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `${this.opts.tls ? 'https' : 'http'}://${h}:${this.port}`;
  }
  get ewsUrl(): string {
    return `${this.baseUrl}/EWS/Exchange.asmx`;
  }

  async listen(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((e: unknown) => {
        this.log(`internal error: ${(e as Error).stack ?? String(e)}`);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/xml; charset=utf-8');
          res.end(
            new SoapFault(
              'ErrorInternalServerError',
              'An internal server error occurred. The operation failed.',
            ).toXml(),
          );
        } else res.destroy();
      });
    };
    this.server = this.opts.tls
      ? createHttpsServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, handler)
      : createServer(handler);
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.maxHeadersCount = 200;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const stop of [...this.streams]) stop();
    this.subscriptions.close();
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private log(msg: string): void {
    if (this.opts.log) process.stdout.write(`[exchange-simulator] ${msg}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    res.on('finish', () => this.metrics.status(res.statusCode));
    if (path.startsWith('/admin/')) return handleAdmin(this, req, res, url);
    const p = path.toLowerCase();
    if (p === '/ews/exchange.asmx' || p === '/ews/exchange.asmx/') return this.handleEws(req, res);
    if (p === '/autodiscover/autodiscover.svc' || p === '/autodiscover/autodiscover.svc/wssecurity')
      return this.handleAutodiscover(req, res);
    if (p === '/' || p === '/health') {
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          name: 'ssync exchange-simulator',
          ews: this.ewsUrl,
          admin: `${this.baseUrl}/admin/v1`,
        }),
      );
      return;
    }
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain');
    res.end('Not found');
  }

  private sendXml(
    res: ServerResponse,
    status: number,
    xml: string,
    extra: Record<string, string> = {},
    op = '',
  ): void {
    this.tap?.(op, xml);
    const buf = Buffer.from(xml, 'utf8');
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/xml; charset=utf-8');
    res.setHeader('Content-Length', buf.length);
    res.setHeader('X-FEServer', this.opts.serverName);
    for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
    res.end(buf);
  }

  private fault(res: ServerResponse, op: string, f: SoapFault): void {
    this.metrics.error(op, f.code);
    this.sendXml(res, f.httpStatus, f.toXml());
  }

  /** Authenticate; answers 401 itself when it fails. */
  private authenticate(req: IncomingMessage, res: ServerResponse): Account | undefined {
    const r = this.auth.authenticate(req);
    if (!r.ok) {
      send401(res, r.challenge);
      return undefined;
    }
    return r.account;
  }

  private async handleAutodiscover(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const account = this.authenticate(req, res);
    if (!account) {
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      res.statusCode = 405;
      res.end();
      return;
    }
    this.metrics.request('Autodiscover.GetUserSettings');
    const text = (await readBody(req)).toString('utf8').replace(/^\uFEFF/, '');
    let env: El;
    try {
      env = parseXml(text);
    } catch (e) {
      return this.fault(
        res,
        'Autodiscover',
        new SoapFault(
          'ErrorSchemaValidation',
          `The request failed schema validation: ${(e as Error).message}`,
          's:Client',
        ),
      );
    }
    const op = env.child('Body')?.first();
    if (!op || op.local !== 'GetUserSettingsRequestMessage')
      return this.fault(
        res,
        'Autodiscover',
        new SoapFault('ErrorInvalidRequest', 'Only GetUserSettings is implemented.', 's:Client'),
      );
    this.sendXml(res, 200, getUserSettings(this.store, op, this.ewsUrl), {}, 'GetUserSettings');
  }

  private async handleEws(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Authentication first, like IIS: the NTLM handshake arrives as a GET.
    const account = this.authenticate(req, res);
    if (!account) {
      this.metrics.error('(auth)', 'HTTP401');
      req.resume();
      return;
    }
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/html');
      res.end('<html><body>Exchange Web Services (simulator)</body></html>');
      return;
    }
    if (req.method !== 'POST') {
      res.statusCode = 405;
      res.end();
      return;
    }
    const authFaults = this.faults.pick({ account: account.userName }, ['authFailure']);
    if (authFaults.length) {
      this.metrics.fault('authFailure');
      req.resume();
      send401(res);
      return;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    const text = raw.toString('utf8').replace(/^\uFEFF/, '');

    // Parse and validate.
    let env: El;
    try {
      env = parseXml(text);
    } catch (e) {
      const pe = e as XmlParseError;
      this.metrics.request('(malformed)');
      return this.fault(
        res,
        '(malformed)',
        new SoapFault(
          'ErrorSchemaValidation',
          `The request failed schema validation: ${pe.message}`,
          'a:ErrorSchemaValidation',
          `<t:LineNumber>${pe.line ?? 1}</t:LineNumber><t:LinePosition>${pe.col ?? 1}</t:LinePosition><t:Violation>${esc(pe.message)}</t:Violation>`,
        ),
      );
    }
    const body = env.local === 'Envelope' ? env.child('Body') : undefined;
    const opEl = body?.first();
    const op = opEl?.local ?? '(none)';
    this.metrics.request(op);
    if (env.local !== 'Envelope' || (env.ns !== NS.soap && env.ns !== NS.soap12) || !body || !opEl)
      return this.fault(
        res,
        op,
        new SoapFault(
          'ErrorSchemaValidation',
          'The request failed schema validation: the root element must be a SOAP Envelope with a Body.',
        ),
      );
    if (this.opts.validateRequests) {
      const problem = validateRequest(env);
      if (problem)
        return this.fault(
          res,
          op,
          new SoapFault(
            'ErrorSchemaValidation',
            `The request failed schema validation: ${problem}`,
            'a:ErrorSchemaValidation',
            `<t:LineNumber>1</t:LineNumber><t:LinePosition>1</t:LinePosition><t:Violation>${esc(problem)}</t:Violation>`,
          ),
        );
    }
    if (opEl.ns !== NS.m)
      return this.fault(
        res,
        op,
        new SoapFault(
          'ErrorSchemaValidation',
          `The request failed schema validation: ${op} is not in the EWS messages namespace.`,
        ),
      );
    if (!HANDLERS[op] && op !== 'GetStreamingEvents')
      return this.fault(
        res,
        op,
        new SoapFault(
          'ErrorInvalidRequest',
          `The request is invalid: the simulator does not implement ${op}.`,
        ),
      );

    // Impersonation.
    const header = env.child('Header');
    let mailbox: Mailbox | undefined;
    let impersonating = false;
    const sid = header?.path('ExchangeImpersonation', 'ConnectingSID');
    if (sid) {
      impersonating = true;
      const target = this.resolveImpersonation(sid);
      if (!target)
        return this.fault(
          res,
          op,
          new SoapFault('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.'),
        );
      if (
        !this.store.canImpersonate(account.userName, target) &&
        target.owner !== account.userName.toLowerCase()
      )
        return this.fault(
          res,
          op,
          new SoapFault(
            'ErrorImpersonateUserDenied',
            'The account does not have permission to impersonate the requested user.',
          ),
        );
      mailbox = target;
    } else mailbox = this.store.mailboxOf(account.userName);

    const scope = { account: account.userName, mailbox: mailbox?.key, operation: op };
    const logged = this.requestLog.record({
      time: Date.now(),
      account: account.userName.toLowerCase(),
      mailbox: mailbox?.key ?? null,
      impersonated: impersonating,
      operation: op,
      status: null,
    });
    res.on('finish', () => (logged.status = res.statusCode));

    // Injected faults that happen before any work.
    const fired = this.faults.pick(scope, [
      'latency',
      'http503',
      'serverBusy',
      'connectionReset',
      'html500',
      'invalidSyncState',
    ]);
    for (const r of fired) this.metrics.fault(r.kind);
    const lat = fired
      .filter((r) => r.kind === 'latency')
      .reduce((a, r) => a + (r.latencyMs ?? 1000), this.opts.latencyMs);
    const acctKey = account.userName.toLowerCase();

    // Throttling: EWSMaxConcurrency per account (streaming connections have their own budget in Exchange).
    const counts = op !== 'GetStreamingEvents';
    if (counts && !this.metrics.accounts.tryAcquire(acctKey, this.opts.maxConcurrency)) {
      this.metrics.throttled.concurrency++;
      return this.refuseConcurrency(res, op, opEl);
    }
    if (mailbox) this.metrics.mailboxes.acquire(mailbox.key);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (counts) this.metrics.accounts.release(acctKey);
      if (mailbox) this.metrics.mailboxes.release(mailbox.key);
    };
    res.on('close', release);
    try {
      if (lat > 0) await sleep(lat);
      const wait = counts ? this.rate.take(acctKey) : 0;
      if (wait > 0) {
        this.metrics.throttled.rate++;
        return this.fault(
          res,
          op,
          new SoapFault(
            'ErrorServerBusy',
            'The server cannot service this request right now. Try again later.',
            'a:ErrorServerBusy',
            backOffXml(wait),
          ),
        );
      }
      if (this.applyFaults(res, op, opEl, fired)) return;
      const ctx: EwsContext = {
        store: this.store,
        account,
        ...(mailbox ? { mailbox } : {}),
        impersonating,
        subscriptions: this.subscriptions,
        findCountLimit: this.opts.findCountLimit,
        forceInvalidSyncState: fired.some((r) => r.kind === 'invalidSyncState'),
      };
      if (op === 'GetStreamingEvents') return this.streamEvents(req, res, ctx, opEl);
      const handler = HANDLERS[op];
      if (!handler) return;
      const t0 = performance.now();
      const xml = handler(ctx, opEl);
      this.metrics.handlerMs[op] = (this.metrics.handlerMs[op] ?? 0) + performance.now() - t0;
      this.countErrors(op, xml);
      if (op === 'SyncFolderItems')
        logged.moreAvailable = xml.includes('<m:IncludesLastItemInRange>false</m:IncludesLastItemInRange>');
      this.sendXml(res, 200, envelope(xml), {}, op);
    } finally {
      if (op !== 'GetStreamingEvents') release();
    }
  }

  private countErrors(op: string, xml: string): void {
    if (!xml.includes('ResponseClass="Error"')) return;
    const re = /ResponseClass="Error">(?:<m:MessageText>[^<]*<\/m:MessageText>)?<m:ResponseCode>(\w+)</g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(xml))) this.metrics.error(op, m[1] ?? 'Unknown');
  }

  private refuseConcurrency(res: ServerResponse, op: string, opEl: El): void {
    if (this.opts.concurrencyError === 'ErrorExceededConnectionCount') {
      const xml = errorResponse(
        op === 'GetStreamingEvents' ? 'GetStreamingEvents' : op,
        'ErrorExceededConnectionCount',
        'You have exceeded the available concurrent connections for your account. Try again once your other requests have completed.',
        responseCount(op, opEl),
      );
      this.metrics.error(op, 'ErrorExceededConnectionCount');
      this.sendXml(res, 200, envelope(xml));
      return;
    }
    this.fault(
      res,
      op,
      new SoapFault(
        'ErrorServerBusy',
        'The server cannot service this request right now. Try again later.',
        'a:ErrorServerBusy',
        backOffXml(this.opts.backOffMs),
      ),
    );
  }

  /** Returns true if an injected fault answered the request. */
  private applyFaults(res: ServerResponse, op: string, opEl: El, fired: FaultRule[]): boolean {
    for (const r of fired) {
      switch (r.kind) {
        case 'connectionReset':
          res.socket?.destroy();
          return true;
        case 'http503':
          res.statusCode = 503;
          res.setHeader('Retry-After', String(Math.ceil((r.backOffMs ?? 5000) / 1000)));
          res.setHeader('Content-Type', 'text/html');
          res.end('<html><body><h1>503 Service Unavailable</h1></body></html>');
          this.metrics.error(op, 'HTTP503');
          return true;
        case 'html500':
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/html');
          res.end('<html><body><h1>Server Error</h1><p>Runtime Error</p></body></html>');
          this.metrics.error(op, 'HTTP500');
          return true;
        case 'serverBusy': {
          const ms = r.backOffMs ?? this.opts.backOffMs;
          if (r.as === 'message') {
            this.metrics.error(op, 'ErrorServerBusy');
            this.sendXml(
              res,
              200,
              envelope(
                errorResponse(
                  op,
                  'ErrorServerBusy',
                  'The server cannot service this request right now. Try again later.',
                  responseCount(op, opEl),
                  backOffXml(ms).replace('<t:Value', `<t:Value xmlns:t="${NS.t}"`),
                ),
              ),
            );
          } else
            this.fault(
              res,
              op,
              new SoapFault(
                'ErrorServerBusy',
                'The server cannot service this request right now. Try again later.',
                'a:ErrorServerBusy',
                backOffXml(ms),
              ),
            );
          return true;
        }
        case 'authFailure':
        case 'latency':
        case 'invalidSyncState':
          break;
      }
    }
    return false;
  }

  private resolveImpersonation(sid: El): Mailbox | undefined {
    const smtp = sid.childText('SmtpAddress') ?? sid.childText('PrimarySmtpAddress');
    if (smtp !== undefined) return this.store.mailbox(smtp);
    const upn = sid.childText('PrincipalName');
    if (upn !== undefined) {
      const u = upn.trim().toLowerCase();
      for (const a of this.store.accounts.values())
        if (a.upn.toLowerCase() === u) return this.store.mailboxOf(a.userName);
      return this.store.mailbox(u);
    }
    const s = sid.childText('SID')?.trim();
    if (s !== undefined) {
      for (const m of this.store.mailboxes.values()) if (m.sid === s) return m;
      for (const a of this.store.accounts.values()) if (a.sid === s) return this.store.mailboxOf(a.userName);
    }
    return undefined;
  }

  private streamEvents(req: IncomingMessage, res: ServerResponse, ctx: EwsContext, opEl: El): void {
    const ids = (opEl.child('SubscriptionIds')?.children ?? []).map((e) => e.text.trim());
    const timeoutMin = Math.min(30, Math.max(1, Number(opEl.childText('ConnectionTimeout') ?? 30) || 30));
    const subs = ids.map((id) => this.subscriptions.get(id));
    const bad = ids.filter((_, i) => {
      const s = subs[i];
      return !s || s.owner !== ctx.account.userName.toLowerCase();
    });
    if (bad.length) {
      const xml = opResponse(
        'GetStreamingEvents',
        errorMessage(
          'GetStreamingEvents',
          'ErrorSubscriptionNotFound',
          'The specified subscription was not found.',
        ).replace(
          '</m:GetStreamingEventsResponseMessage>',
          `<m:ErrorSubscriptionIds>${bad.map((b) => `<t:SubscriptionId>${esc(b)}</t:SubscriptionId>`).join('')}</m:ErrorSubscriptionIds></m:GetStreamingEventsResponseMessage>`,
        ),
      );
      this.metrics.error('GetStreamingEvents', 'ErrorSubscriptionNotFound');
      this.sendXml(res, 200, envelope(xml));
      return;
    }
    const live = subs.filter((s): s is NonNullable<typeof s> => !!s);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/xml; charset=utf-8');
    res.setHeader('Transfer-Encoding', 'chunked');
    res.flushHeaders();
    this.metrics.openStreams++;
    // Each chunk is a whole unprefixed <Envelope> (clients split the stream on it).
    const chunk = (inner: string): void => {
      const xml = `<Envelope xmlns="${NS.soap}"><soap11:Header xmlns:soap11="${NS.soap}">${SERVER_VERSION_INFO}</soap11:Header><soap11:Body xmlns:soap11="${NS.soap}">${opResponse('GetStreamingEvents', inner)}</soap11:Body></Envelope>`;
      this.tap?.('GetStreamingEvents', xml);
      res.write(xml);
    };
    const status = (s: 'OK' | 'Closed'): void =>
      chunk(successMessage('GetStreamingEvents', `<m:ConnectionStatus>${s}</m:ConnectionStatus>`));
    const flush = (): void => {
      const notes = live
        .filter((s) => s.queue.length)
        .map((s) => {
          const evs = s.queue.splice(0, s.queue.length);
          s.lastUsed = Date.now();
          return `<t:Notification><t:SubscriptionId>${s.id}</t:SubscriptionId><t:PreviousWatermark>AQAAAA==</t:PreviousWatermark><t:MoreEvents>false</t:MoreEvents>${evs.map(eventXml).join('')}</t:Notification>`;
        });
      if (notes.length)
        chunk(successMessage('GetStreamingEvents', `<m:Notifications>${notes.join('')}</m:Notifications>`));
    };
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      clearInterval(hb);
      clearTimeout(end);
      for (const s of live) {
        s.wake = undefined;
        s.lastUsed = Date.now();
      }
      this.streams.delete(stop);
      this.metrics.openStreams--;
      if (!res.writableEnded && !res.destroyed) {
        flush();
        status('Closed');
        res.end();
      }
    };
    this.streams.add(stop);
    status('OK');
    flush();
    for (const s of live) s.wake = () => setImmediate(flush);
    const hb = setInterval(() => status('OK'), this.opts.heartbeatMs);
    const end = setTimeout(stop, timeoutMin * this.opts.streamingMinuteMs);
    req.on('close', () => {
      if (!res.writableEnded) res.destroy();
      stop();
    });
  }
}
