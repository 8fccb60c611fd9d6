import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Store, DeliverInput } from './store/store';
import { Account, Grant, Item, Mailbox } from './store/model';
import { ServerOptions, SimulatorServer } from './http/server';
import { FaultRule, FaultRuleInput } from './http/faults';
import { RequestLogEntry } from './http/request-log';
import { generateMessages, GenerateInput } from './admin/generate';
import { seedDemo, DEMO } from './seed';

export interface SimulatorConfig extends Partial<ServerOptions> {
  /** Seed demo accounts, mailboxes, grants and messages (see DEMO). */
  seedDemo?: boolean;
  /** Load state from this JSON file at start (if present) and save it on close and every snapshotIntervalMs. */
  snapshotPath?: string;
  snapshotIntervalMs?: number;
  /** Use this store instead of a new empty one. */
  store?: Store;
}

export interface SimulatorHandle {
  url: string;
  ewsUrl: string;
  autodiscoverUrl: string;
  adminUrl: string;
  port: number;
  store: Store;
  server: SimulatorServer;
  /** Seeding helpers (same semantics as the admin API). */
  admin: {
    createAccount(input: { userName: string; password: string; domain?: string; upn?: string }): Account;
    createMailbox(input: { smtpAddress: string; displayName?: string; ownerUserName?: string }): Mailbox;
    grantImpersonation(input: { userName: string; mailboxes: string[] | 'all' }): Grant;
    deliver(input: DeliverInput): Item[];
    generate(input: GenerateInput): { mailboxes: number; messages: number; ms: number };
    folderItems(smtp: string, folder: string): Item[];
    addFault(rule: FaultRuleInput): FaultRule;
    clearFaults(): void;
    setMaxConcurrency(n: number): void;
    metrics(): ReturnType<SimulatorServer['metrics']['toJSON']>;
    resetMetrics(): void;
    /** EWS requests oldest first (same as GET /request-log); `mailbox` is matched case-insensitively. */
    requestLog(filter?: { mailbox?: string; operation?: string; since?: number }): RequestLogEntry[];
  };
  snapshot(): Promise<string | undefined>;
  close(): Promise<void>;
}

export const DEFAULTS: ServerOptions = {
  port: 8085,
  host: '127.0.0.1',
  maxConcurrency: 27,
  concurrencyError: 'ErrorServerBusy',
  backOffMs: 2000,
  rateLimit: 0,
  rateWindowMs: 60_000,
  validateRequests: true,
  findCountLimit: 1000,
  heartbeatMs: 15_000,
  streamingMinuteMs: 60_000,
  domain: 'CONTOSO',
  serverName: 'EXCH01',
  log: false,
  latencyMs: 0,
  requestLogSize: 100_000,
};

/** Start an Exchange simulator in this process. `port: 0` picks a free port. */
export async function startSimulator(config: SimulatorConfig = {}): Promise<SimulatorHandle> {
  const opts: ServerOptions = { ...DEFAULTS };
  for (const [k, v] of Object.entries(config))
    if (v !== undefined && k in DEFAULTS) (opts as unknown as Record<string, unknown>)[k] = v;
  if (config.tls) opts.tls = config.tls;
  let store = config.store;
  const snapPath = config.snapshotPath;
  if (!store && snapPath && existsSync(snapPath))
    store = Store.fromJSON(JSON.parse(readFileSync(snapPath, 'utf8')));
  store ??= new Store();
  const fresh = store.mailboxes.size === 0;
  if (config.seedDemo && fresh) seedDemo(store);

  const snapshot = async (): Promise<string | undefined> => {
    if (!snapPath) return undefined;
    await mkdir(dirname(snapPath), { recursive: true });
    const tmp = `${snapPath}.tmp`;
    await writeFile(tmp, JSON.stringify(store.toJSON()));
    await rename(tmp, snapPath);
    return snapPath;
  };
  const server = new SimulatorServer(store, opts, { snapshot });
  await server.listen();
  const timer =
    snapPath && config.snapshotIntervalMs
      ? setInterval(() => void snapshot().catch(() => undefined), config.snapshotIntervalMs)
      : undefined;
  timer?.unref();

  const url = server.baseUrl;
  return {
    url,
    ewsUrl: server.ewsUrl,
    autodiscoverUrl: `${url}/autodiscover/autodiscover.svc`,
    adminUrl: `${url}/admin/v1`,
    port: server.port,
    store,
    server,
    admin: {
      createAccount: (i) => store.createAccount({ ...i, domain: i.domain ?? opts.domain }),
      createMailbox: (i) => store.createMailbox(i),
      grantImpersonation: (i) => store.grantImpersonation(i.userName, i.mailboxes),
      deliver: (i) => store.deliver(i),
      generate: (i) => generateMessages(store, i as Record<string, unknown>),
      folderItems: (smtp, folder) => {
        const mbx = store.mailbox(smtp);
        const f = mbx && store.folderByName(mbx, folder);
        return f ? [...f.itemIds].map((id) => store.item(id)).filter((x): x is Item => !!x) : [];
      },
      addFault: (r) => server.faults.add(r),
      clearFaults: () => server.faults.clear(),
      setMaxConcurrency: (n) => {
        server.opts.maxConcurrency = n;
      },
      metrics: () => server.metrics.toJSON(),
      resetMetrics: () => server.metrics.reset(),
      requestLog: (filter) => server.requestLog.entries(filter),
    },
    snapshot,
    close: async () => {
      if (timer) clearInterval(timer);
      await server.close();
      await snapshot();
    },
  };
}

export { Store, SimulatorServer, DEMO };
export type {
  ServerOptions,
  FaultRuleInput,
  FaultRule,
  DeliverInput,
  GenerateInput,
  Account,
  Mailbox,
  Item,
  RequestLogEntry,
};
