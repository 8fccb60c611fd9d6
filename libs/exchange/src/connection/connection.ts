import { inspect } from 'node:util';
import { XhrApi } from '@ewsjs/xhr';
import {
  AutodiscoverErrorCode,
  AutodiscoverService,
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  FolderId,
  ImpersonatedUserId,
  Mailbox,
  Uri,
  UserSettingName,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { connectionSlotWaitSeconds, ewsCallSeconds, ewsCalls } from '@ssync/common';
import { AutodiscoverCache } from '../autodiscover/autodiscover-cache';
import { ExchangeError } from '../errors/exchange-error';
import { normalizeExchangeError } from '../errors/normalize';
import { classify } from '../errors/policy';
import { ConnectionLimiter, UNLIMITED, withLimit } from '../limiter/connection-limiter';
import { xmlEscapeAddress } from '../xml/escape';
import { AuthSchemeProbe } from './auth-probe';
import { observeCall } from './observed-xhr';
import { ObservedXhr } from './observed-xhr';
import { AuthSpec, ConnectionSpec, ExchangeServerVersion, ServiceIdentity, WireScheme } from './types';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_VERSION: ExchangeServerVersion = 'Exchange2013_SP1';

interface PlainCredentials {
  userName: string;
  password: string;
  domain?: string;
}

/** `DOMAIN\user` for NTLM and Basic unless the name already carries a domain (`DOM\user` or a UPN). */
function qualifiedUser(c: PlainCredentials): string {
  if (!c.domain || c.userName.includes('\\') || c.userName.includes('@')) return c.userName;
  return `${c.domain}\\${c.userName}`;
}

function buildXhr(scheme: WireScheme, creds: PlainCredentials, timeoutMs: number): ObservedXhr {
  const xhr = new XhrApi({ timeout: timeoutMs });
  if (scheme === 'ntlm') {
    // NtlmProvider splits DOMAIN\user itself; a UPN goes as the user name with an empty domain.
    xhr.useNtlmAuthentication(qualifiedUser(creds), creds.password);
  }
  return new ObservedXhr(xhr);
}

/** A guarded connection's call that its guard did not let start: no request was sent (see `guarded`). */
export class CallNotStartedError extends Error {
  constructor(readonly operation: string) {
    super(`${operation}: not started (the connection's guard said no)`);
    this.name = 'CallNotStartedError';
  }
}

function rediscovers(err: ExchangeError): boolean {
  const d = classify(err, { attempt: 1 });
  return 'rediscover' in d && d.rediscover;
}

/** Run one client call: normalize whatever it rejects with, using what the transport saw for this very call. */
async function observed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  const { record, result } = observeCall(fn);
  const stop = ewsCallSeconds.startTimer({ operation });
  try {
    const value = await result;
    ewsCalls.inc({ operation, outcome: 'ok' });
    return value;
  } catch (e) {
    const error = normalizeExchangeError(e, {
      operation,
      ...(record.httpStatus !== undefined ? { httpStatus: record.httpStatus } : {}),
      ...(record.headers ? { headers: record.headers } : {}),
    });
    ewsCalls.inc({ operation, outcome: error.code });
    throw error;
  } finally {
    stop();
  }
}

/**
 * One mailbox's EWS session: an `ExchangeService` set up for the mailbox (auth, timeout, X-AnchorMailbox,
 * impersonation), and `run`, through which every call goes — holding a P-11 slot and turning every rejection
 * into an `ExchangeError`. Cheap to create; the operations in `operations/` take it as their first argument.
 */
export class ExchangeConnection {
  constructor(
    readonly service: ExchangeService,
    readonly mailboxSmtp: string,
    readonly ewsUrl: string,
    readonly scheme: WireScheme,
    readonly impersonating: boolean,
    readonly timeoutMs: number,
    private readonly limiter: ConnectionLimiter,
    readonly limit: { key: string; max: number },
    /** Sees every failure (the factory forgets a stale Autodiscover answer or auth-scheme probe). */
    private readonly onFailure: (e: ExchangeError) => void = () => undefined,
    /** Folder ids looked up for this mailbox (e.g. Undeliverable), shared by its connections via the factory. */
    readonly folderIds: Map<string, string> = new Map(),
    /** Asked before every call's request, with the P-11 slot held (see {@link guarded}). */
    private readonly mayStart: (() => boolean | Promise<boolean>) | null = null,
  ) {}

  /**
   * This connection behind a guard: every call, once it holds its P-11 slot (waiting for one can take any time)
   * and just before its request, asks `mayStart`; on false nothing is sent and the call rejects with
   * {@link CallNotStartedError}. What the guard throws is rethrown unchanged. For work that must be decided right
   * before Exchange is reached: claiming a poll (P-10), or not starting a send call that could outlast its claim.
   */
  guarded(mayStart: () => boolean | Promise<boolean>): ExchangeConnection {
    return new ExchangeConnection(
      this.service,
      this.mailboxSmtp,
      this.ewsUrl,
      this.scheme,
      this.impersonating,
      this.timeoutMs,
      this.limiter,
      this.limit,
      this.onFailure,
      this.folderIds,
      mayStart,
    );
  }

  /** What a log line may show: never the service (it holds the credentials). */
  toJSON(): Record<string, unknown> {
    return {
      mailboxSmtp: this.mailboxSmtp,
      ewsUrl: this.ewsUrl,
      scheme: this.scheme,
      impersonating: this.impersonating,
      timeoutMs: this.timeoutMs,
      limit: this.limit,
    };
  }

  [inspect.custom](): string {
    return `ExchangeConnection ${JSON.stringify(this.toJSON())}`;
  }

  /** A well-known folder of this connection's mailbox (explicit `<t:Mailbox>`, so a delegate never reads its own). */
  folder(name: WellKnownFolderName): FolderId {
    return new FolderId(name, new Mailbox(xmlEscapeAddress(this.mailboxSmtp)));
  }

  /** Every EWS call: one P-11 slot while it runs; rejections normalized into ExchangeError. */
  async run<T>(operation: string, fn: (service: ExchangeService) => Promise<T>): Promise<T> {
    // NTLM costs two round trips per call; the lease must outlive both plus some slack.
    const ttl = this.timeoutMs * 2 + 5_000;
    let guardFailure: { error: unknown } | null = null;
    let slotHeld = false;
    const waiting = connectionSlotWaitSeconds.startTimer();
    try {
      return await withLimit(this.limiter, this.limit.key, this.limit.max, ttl, async () => {
        slotHeld = true;
        waiting();
        if (this.mayStart) {
          let go: boolean;
          try {
            go = await this.mayStart();
          } catch (error) {
            guardFailure = { error };
            throw error;
          }
          if (!go) {
            guardFailure = { error: new CallNotStartedError(operation) };
            throw guardFailure.error;
          }
        }
        return observed(operation, () => fn(this.service));
      });
    } catch (e) {
      // Not Exchange's answer: nothing was sent.
      if (guardFailure) throw (guardFailure as { error: unknown }).error;
      // No slot to be had (the slot store, a database, is away; or the wait ran out): not Exchange's answer either,
      // so the caller sees the error as it is — a database fault is waited out, not recorded against the mailbox.
      if (!slotHeld) throw e;
      const err = normalizeExchangeError(e, { operation });
      this.onFailure(err);
      throw err;
    }
  }
}

export interface ExchangeClientFactoryOptions {
  /** P-11 limiter shared by all connections (the cross-worker one in production). Default: unlimited. */
  limiter?: ConnectionLimiter;
  /** Limit when a spec names none. Default 10 (Dynamics' MaxConcurrentConnections default). */
  defaultMaxConcurrent?: number;
  autodiscoverCache?: AutodiscoverCache;
  authProbe?: AuthSchemeProbe;
  /** The service's own identity for `windows-integrated` (from configuration, already unsealed). */
  serviceIdentity?: ServiceIdentity;
}

/** Builds connections from specs; holds the caches shared by all of them (Autodiscover, auth probe). */
export class ExchangeClientFactory {
  readonly autodiscover: AutodiscoverCache;
  readonly authProbe: AuthSchemeProbe;
  private readonly limiter: ConnectionLimiter;
  private readonly defaultMax: number;
  private readonly folderIds = new Map<string, Map<string, string>>();

  constructor(private readonly opts: ExchangeClientFactoryOptions = {}) {
    this.autodiscover = opts.autodiscoverCache ?? new AutodiscoverCache();
    this.authProbe = opts.authProbe ?? new AuthSchemeProbe();
    this.limiter = opts.limiter ?? UNLIMITED;
    this.defaultMax = opts.defaultMaxConcurrent ?? 10;
  }

  async connect(spec: ConnectionSpec): Promise<ExchangeConnection> {
    const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const creds = this.credentials(spec.auth);
    const limit = spec.limit ?? { key: `mailbox:${spec.mailboxSmtp.toLowerCase()}`, max: this.defaultMax };
    let ewsUrl: string;
    let discoveredFor: string | undefined;
    if (spec.ewsUrl !== undefined) ewsUrl = spec.ewsUrl;
    else {
      const { email, url } = spec.autodiscover;
      const found = await this.autodiscover.resolve(email, (e) =>
        withLimit(this.limiter, limit.key, limit.max, timeoutMs * 2 + 5_000, () =>
          this.discover(e, url, spec.auth.kind, creds, timeoutMs, spec.serverVersion),
        ),
      );
      ewsUrl = found.ewsUrl;
      discoveredFor = email;
    }
    const scheme = await this.wireScheme(spec.auth.kind, ewsUrl, timeoutMs);
    const service = new ExchangeService(ExchangeVersion[spec.serverVersion ?? DEFAULT_VERSION]);
    service.XHRApi = buildXhr(scheme, creds, timeoutMs);
    service.Credentials = new WebCredentials(qualifiedUser(creds), creds.password);
    service.Url = new Uri(ewsUrl);
    service.Timeout = timeoutMs;
    // Real Exchange routes by this header; ews-javascript-api does not add it.
    service.HttpHeaders.Add('X-AnchorMailbox', spec.impersonate?.smtpAddress ?? spec.mailboxSmtp);
    if (spec.impersonate)
      service.ImpersonatedUserId = new ImpersonatedUserId(
        ConnectingIdType.SmtpAddress,
        xmlEscapeAddress(spec.impersonate.smtpAddress),
      );
    return new ExchangeConnection(
      service,
      spec.mailboxSmtp,
      ewsUrl,
      scheme,
      !!spec.impersonate,
      timeoutMs,
      this.limiter,
      limit,
      (err) => {
        // Re-discover only on failure (P-2): a wrong or unreachable location; re-probe after a 401 on AutoDetect.
        if (discoveredFor && (err.code === 'location' || rediscovers(err)))
          this.autodiscover.invalidate(discoveredFor);
        if (spec.auth.kind === 'auto' && err.code === 'credentials') this.authProbe.invalidate(ewsUrl);
      },
      this.folderIdsOf(spec.mailboxSmtp),
    );
  }

  private folderIdsOf(mailbox: string): Map<string, string> {
    const key = mailbox.toLowerCase();
    let m = this.folderIds.get(key);
    if (!m) this.folderIds.set(key, (m = new Map<string, string>()));
    return m;
  }

  private credentials(auth: AuthSpec): PlainCredentials {
    if (auth.kind === 'windows-integrated') {
      const id = this.opts.serviceIdentity;
      if (!id)
        throw new ExchangeError({
          code: 'credentials',
          message: 'Windows Integrated Authentication needs the service identity, which is not configured',
          rawType: 'config',
          operation: 'connect',
        });
      return id;
    }
    if (!auth.userName || !auth.password)
      throw new ExchangeError({
        code: 'credentials',
        message: 'a user name and password are required (anonymous access is not a valid setting)',
        rawType: 'config',
        operation: 'connect',
      });
    return {
      userName: auth.userName,
      password: auth.password,
      ...(auth.domain ? { domain: auth.domain } : {}),
    };
  }

  /**
   * basic → Basic; ntlm, negotiate, windows-integrated → NTLM (Negotiate would be SPNEGO/Kerberos, which needs a
   * Kerberos ticket we cannot get; Windows accepts NTLM instead); auto → what the server offers (probed once per
   * URL, cached): NTLM if it offers NTLM or Negotiate, else Basic.
   */
  private async wireScheme(kind: AuthSpec['kind'], url: string, timeoutMs: number): Promise<WireScheme> {
    switch (kind) {
      case 'basic':
        return 'basic';
      case 'ntlm':
      case 'negotiate':
      case 'windows-integrated':
        return 'ntlm';
      case 'auto':
        return this.authProbe.schemeFor(url, timeoutMs);
    }
  }

  private async discover(
    email: string,
    url: string | undefined,
    kind: AuthSpec['kind'],
    creds: PlainCredentials,
    timeoutMs: number,
    version: ExchangeServerVersion | undefined,
  ): Promise<{ ewsUrl: string; displayName?: string }> {
    const domain = email.slice(email.lastIndexOf('@') + 1);
    // ews-javascript-api's own discovery only tries https; these are the two SOAP endpoints it would try.
    const candidates = url
      ? [url]
      : [
          `https://${domain}/autodiscover/autodiscover.svc`,
          `https://autodiscover.${domain}/autodiscover/autodiscover.svc`,
        ];
    let last: ExchangeError | undefined;
    for (const candidate of candidates) {
      try {
        const scheme = await this.wireScheme(kind, candidate, timeoutMs);
        return await soapAutodiscover(candidate, email, scheme, creds, timeoutMs, version);
      } catch (e) {
        last = normalizeExchangeError(e, { operation: 'autodiscover' });
        // Wrong credentials are wrong everywhere; do not try the next URL with them.
        if (last.code === 'credentials' || last.code === 'permissions') throw last;
      }
    }
    throw last && last.code !== 'unknown'
      ? last
      : new ExchangeError({
          code: 'location',
          message: `Autodiscover found no EWS URL for ${email}${last ? `: ${last.message}` : ''}`,
          rawType: last?.rawType ?? 'autodiscover',
          ewsCode: 'AutodiscoverFailed',
          operation: 'autodiscover',
        });
  }
}

/**
 * SOAP Autodiscover `GetUserSettings` at an explicit URL → the EWS URL (internal first, then external).
 * A mailbox Autodiscover does not know is `location`; transport failures keep their own code.
 */
export async function soapAutodiscover(
  autodiscoverUrl: string,
  email: string,
  scheme: WireScheme,
  creds: PlainCredentials,
  timeoutMs: number,
  version: ExchangeServerVersion = DEFAULT_VERSION,
): Promise<{ ewsUrl: string; displayName?: string }> {
  const ad = new AutodiscoverService(new Uri(autodiscoverUrl), ExchangeVersion[version]);
  ad.XHRApi = buildXhr(scheme, creds, timeoutMs);
  ad.Credentials = new WebCredentials(qualifiedUser(creds), creds.password);
  ad.Timeout = timeoutMs;
  const r = await observed('autodiscover', () =>
    ad.GetUserSettings(xmlEscapeAddress(email), [
      UserSettingName.InternalEwsUrl,
      UserSettingName.ExternalEwsUrl,
      UserSettingName.UserDisplayName,
    ]),
  );
  const settings = r.Settings;
  const get = (n: UserSettingName): string | undefined => {
    const v: unknown = settings.containsKey(n) ? settings.get(n) : undefined;
    return typeof v === 'string' && v ? v : undefined;
  };
  const ewsUrl = get(UserSettingName.InternalEwsUrl) ?? get(UserSettingName.ExternalEwsUrl);
  if (r.ErrorCode !== AutodiscoverErrorCode.NoError || !ewsUrl)
    throw new ExchangeError({
      code: 'location',
      message: `Autodiscover has no EWS URL for ${email}: ${r.ErrorMessage || 'no EwsUrl setting'}`,
      rawType: 'GetUserSettingsResponse',
      ewsCode: 'AutodiscoverFailed',
      operation: 'autodiscover',
    });
  const displayName = get(UserSettingName.UserDisplayName);
  return { ewsUrl, ...(displayName ? { displayName } : {}) };
}
