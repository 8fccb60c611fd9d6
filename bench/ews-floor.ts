/**
 * The EWS client floor (issue #12): what one SyncFolderItems call through ews-javascript-api costs, set up as the
 * sync worker sets up its connections (libs/exchange: Basic auth, impersonation, X-AnchorMailbox), against a
 * do-nothing stub in this process that answers every POST with the same valid SyncFolderItems response without
 * changes. A poll cannot cost less CPU than this. Run it on a quiet machine: the CPU is this process's.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { XhrApi } from '@ewsjs/xhr';
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  FolderId,
  ImpersonatedUserId,
  ItemId,
  Mailbox,
  PropertySet,
  SyncFolderItemsScope,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { envelope, opResponse, successMessage } from '../apps/exchange-simulator/src/ews/soap';

/** The simulator's answer to a poll that finds nothing new (its SyncFolderItems handler), with a fixed state. */
const EMPTY_SYNC = Buffer.from(
  envelope(
    opResponse(
      'SyncFolderItems',
      successMessage(
        'SyncFolderItems',
        `<m:SyncState>${Buffer.alloc(48, 7).toString('base64')}</m:SyncState>` +
          '<m:IncludesLastItemInRange>true</m:IncludesLastItemInRange><m:Changes></m:Changes>',
      ),
    ),
  ),
  'utf8',
);

/** ews-javascript-api types it as required; null means none. */
const NO_IGNORED = null as unknown as ItemId[];

export interface EwsFloor {
  seconds: number;
  concurrency: number;
  calls: number;
  errors: number;
  callsPerS: number;
  /** process.cpuUsage of this process (client and stub together) per call. */
  cpuMsPerCall: number;
}

export async function measureEwsFloor(
  options: { seconds?: number; concurrency?: number; warmupS?: number; pageSize?: number } = {},
): Promise<EwsFloor> {
  const seconds = options.seconds ?? 3;
  const concurrency = options.concurrency ?? 16;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': EMPTY_SYNC.length });
      res.end(EMPTY_SYNC);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/EWS/Exchange.asmx`;
  const lanes = Array.from({ length: concurrency }, (_, i) => {
    const smtp = `floor${i + 1}@bench.test`;
    const svc = new ExchangeService(ExchangeVersion.Exchange2013_SP1);
    svc.XHRApi = new XhrApi({ timeout: 30_000 });
    svc.Credentials = new WebCredentials('CONTOSO\\svc-bench', 'Svc-Passw0rd!');
    svc.Url = new Uri(url);
    svc.Timeout = 30_000;
    svc.HttpHeaders.Add('X-AnchorMailbox', smtp);
    svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, smtp);
    return { smtp, svc, state: null as string | null };
  });
  let firstError: unknown = null;
  const run = async (ms: number) => {
    let calls = 0;
    let errors = 0;
    const until = Date.now() + ms;
    await Promise.all(
      lanes.map(async (lane) => {
        while (Date.now() < until) {
          try {
            const r = await lane.svc.SyncFolderItems(
              new FolderId(WellKnownFolderName.Inbox, new Mailbox(lane.smtp)),
              PropertySet.IdOnly,
              NO_IGNORED,
              options.pageSize ?? 100,
              SyncFolderItemsScope.NormalItems,
              lane.state as string,
            );
            lane.state = r.SyncState;
            calls++;
          } catch (error) {
            firstError ??= error;
            errors++;
          }
        }
      }),
    );
    return { calls, errors };
  };
  try {
    // JIT and connection set-up stay out of the figure.
    await run((options.warmupS ?? 0.5) * 1000);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const { calls, errors } = await run(seconds * 1000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (calls === 0)
      throw new Error(
        `EWS floor: no call succeeded (${errors} errors): ${firstError instanceof Error ? firstError.message : String(firstError)}`,
      );
    return {
      seconds: secs,
      concurrency,
      calls,
      errors,
      callsPerS: calls / secs,
      cpuMsPerCall: (cpu.user + cpu.system) / 1000 / calls,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
