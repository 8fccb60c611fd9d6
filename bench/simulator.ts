/**
 * npm run bench:simulator — SyncFolderItems and FindItem calls per second through ews-javascript-api against an
 * in-process simulator, plus memory for the 10,000 × 50 scale target.
 * Options (env): BENCH_MAILBOXES (default 10000), BENCH_MESSAGES (50), BENCH_SECONDS (10 per operation),
 * BENCH_CONCURRENCY (16), BENCH_AUTH (basic|ntlm).
 */
import { XhrApi } from '@ewsjs/xhr';
import {
  BasePropertySet,
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  FolderId,
  ImpersonatedUserId,
  ItemId,
  ItemView,
  PropertySet,
  SyncFolderItemsScope,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { startSimulator } from '../apps/exchange-simulator/src';

const env = (k: string, d: number): number => Number(process.env[k] ?? d);
const MAILBOXES = env('BENCH_MAILBOXES', 10_000);
const MESSAGES = env('BENCH_MESSAGES', 50);
const SECONDS = env('BENCH_SECONDS', 10);
const CONCURRENCY = env('BENCH_CONCURRENCY', 16);
const AUTH = process.env.BENCH_AUTH ?? 'basic';

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(0)} MB`;
}

async function run(name: string, call: (i: number) => Promise<unknown>): Promise<number> {
  let n = 0;
  let errors = 0;
  const until = Date.now() + SECONDS * 1000;
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      let i = w;
      while (Date.now() < until) {
        const t = performance.now();
        try {
          await call(i);
          n++;
        } catch {
          errors++;
        }
        lat.push(performance.now() - t);
        i += CONCURRENCY;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const rate = n / SECONDS;
  const p = (q: number): string => (lat[Math.floor(lat.length * q)] ?? 0).toFixed(1);
  console.log(
    `${name.padEnd(34)} ${rate.toFixed(0).padStart(6)} calls/s   p50 ${p(0.5)} ms  p99 ${p(0.99)} ms  errors ${errors}`,
  );
  return rate;
}

async function main(): Promise<void> {
  global.gc?.();
  const heap0 = process.memoryUsage();
  const sim = await startSimulator({ port: 0, maxConcurrency: 0 });
  sim.admin.createAccount({ userName: 'svc', password: 'Passw0rd!' });
  const t0 = Date.now();
  sim.admin.generate({
    mailboxCount: MAILBOXES,
    messagesPerMailbox: MESSAGES,
    domain: 'bench.test',
    prefix: 'u',
    bodySize: 300,
  });
  sim.admin.grantImpersonation({ userName: 'svc', mailboxes: 'all' });
  global.gc?.();
  const heap1 = process.memoryUsage();
  console.log(
    `seeded ${MAILBOXES} mailboxes × ${MESSAGES} messages (${sim.store.items.size} items, ${sim.store.folders.size} folders) in ${Date.now() - t0} ms; ` +
      `heap +${mb(heap1.heapUsed - heap0.heapUsed)} (total heap ${mb(heap1.heapUsed)}, rss ${mb(heap1.rss)})${global.gc ? '' : ' [run node --expose-gc for exact numbers]'}`,
  );

  const services = new Map<string, ExchangeService>();
  const svcFor = (smtp: string): ExchangeService => {
    let s = services.get(smtp);
    if (!s) {
      s = new ExchangeService(ExchangeVersion.Exchange2013_SP1);
      s.XHRApi =
        AUTH === 'ntlm'
          ? new XhrApi({ timeout: 30000 }).useNtlmAuthentication('CONTOSO\\svc', 'Passw0rd!')
          : new XhrApi({ timeout: 30000 });
      s.Credentials = new WebCredentials('svc', 'Passw0rd!');
      s.Url = new Uri(sim.ewsUrl);
      s.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, smtp);
      s.HttpHeaders.Add('X-AnchorMailbox', smtp);
      services.set(smtp, s);
    }
    return s;
  };
  const mbx = (i: number): string => `u${(i % Math.min(MAILBOXES, 2000)) + 1}@bench.test`;
  const idOnly = new PropertySet(BasePropertySet.IdOnly);
  const first = new PropertySet(BasePropertySet.FirstClassProperties);
  const noIds = null as unknown as ItemId[];
  const noState = null as unknown as string;
  console.log(
    `ews-javascript-api, ${AUTH} auth + impersonation, ${CONCURRENCY} concurrent callers, ${SECONDS}s each:`,
  );
  await run('SyncFolderItems (initial, IdOnly, 512)', (i) =>
    svcFor(mbx(i)).SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      idOnly,
      noIds,
      512,
      SyncFolderItemsScope.NormalItems,
      noState,
    ),
  );
  const states = new Map<string, string>();
  await run('SyncFolderItems (incremental)', async (i) => {
    const m = mbx(i);
    const r = await svcFor(m).SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      first,
      noIds,
      512,
      SyncFolderItemsScope.NormalItems,
      states.get(m) ?? noState,
    );
    states.set(m, r.SyncState);
  });
  await run('FindItem (50, first-class props)', (i) => {
    const v = new ItemView(50);
    v.PropertySet = first;
    return svcFor(mbx(i)).FindItems(WellKnownFolderName.Inbox, v);
  });
  const m = sim.admin.metrics() as {
    requests: { total: number; byOperation: Record<string, number> };
    handlerMsByOperation: Record<string, number>;
  };
  for (const [op, ms] of Object.entries(m.handlerMsByOperation))
    console.log(
      `server-side ${op}: ${(ms / (m.requests.byOperation[op] ?? 1)).toFixed(2)} ms/call (handler only)`,
    );
  console.log(`total EWS requests served: ${m.requests.total}`);
  await sim.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
