import { inspect } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  EmailMessage,
  Folder,
  FolderId,
  ItemId,
  PropertySet,
  SyncFolderItemsScope,
  WellKnownFolderName,
} from 'ews-javascript-api';
import type { SimulatorHandle } from '../../../apps/exchange-simulator/src';
import { observeCall } from './connection/observed-xhr';
import { RecordedRejection, serializeRejection } from './errors/rejection-fixtures';
import {
  classify,
  ExchangeClientFactory,
  ExchangeConnection,
  ExchangeError,
  ExchangeErrorCode,
  normalizeExchangeError,
  syncInbox,
  testIncoming,
} from './index';
import { closedPort, PASSWORD, rejectionOf, startTestSimulator } from '../test/support';

let sim: SimulatorHandle;
const factory = new ExchangeClientFactory();
const recorded: RecordedRejection[] = [];
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
  if (process.env.RECORD_REJECTIONS) {
    const dir = join(__dirname, 'errors', 'fixtures');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rejections.json'), JSON.stringify(recorded, null, 2) + '\n');
  }
});
afterEach(() => sim.admin.clearFaults());

const basic = (user = 'alice', password = PASSWORD) => ({
  kind: 'basic' as const,
  userName: user,
  password,
  domain: 'CONTOSO',
});
const conn = (
  over: Partial<Parameters<ExchangeClientFactory['connect']>[0]> = {},
): Promise<ExchangeConnection> =>
  factory.connect({
    ewsUrl: sim.ewsUrl,
    auth: basic(),
    mailboxSmtp: 'alice@contoso.com',
    timeoutMs: 5_000,
    ...over,
  } as Parameters<ExchangeClientFactory['connect']>[0]);

/** The raw rejection of a direct client call (as the adapter sees it), recorded, and its normalization. */
async function raw(
  scenario: string,
  c: ExchangeConnection,
  fn: (c: ExchangeConnection) => Promise<unknown>,
): Promise<ExchangeError> {
  const { record, result } = observeCall(() => fn(c));
  const rejection = await rejectionOf(result);
  const context = {
    ...(record.httpStatus !== undefined ? { httpStatus: record.httpStatus } : {}),
    ...(record.headers ? { headers: record.headers } : {}),
  };
  recorded.push({ scenario, rejection: serializeRejection(rejection), context });
  return normalizeExchangeError(rejection, context);
}
const bindInbox = (c: ExchangeConnection) => Folder.Bind(c.service, c.folder(WellKnownFolderName.Inbox));

describe('real rejections from the simulator → codes', () => {
  it.each<
    [string, () => void, Partial<Parameters<typeof conn>[0]>, ExchangeErrorCode, string, number | undefined]
  >([
    [
      'serverBusy fault (HTTP 500, BackOffMilliseconds)',
      () => sim.admin.addFault({ kind: 'serverBusy', count: 1, backOffMs: 1234 }),
      {},
      'throttled',
      'ErrorServerBusy',
      1234,
    ],
    [
      'serverBusy message (HTTP 200, MessageXml)',
      () => sim.admin.addFault({ kind: 'serverBusy', count: 1, backOffMs: 4321, as: 'message' }),
      {},
      'throttled',
      'ErrorServerBusy',
      4321,
    ],
    [
      'HTTP 503 + Retry-After',
      () => sim.admin.addFault({ kind: 'http503', count: 1, backOffMs: 7000 }),
      {},
      'transient',
      'HTTP503',
      7000,
    ],
    [
      'HTML 500',
      () => sim.admin.addFault({ kind: 'html500', count: 1 }),
      {},
      'transient',
      'HTTP500',
      undefined,
    ],
    [
      'connection reset',
      () => sim.admin.addFault({ kind: 'connectionReset', count: 1 }),
      {},
      'transient',
      'ECONNRESET',
      undefined,
    ],
    [
      'timeout',
      () => sim.admin.addFault({ kind: 'latency', count: 1, latencyMs: 1500 }),
      { timeoutMs: 300 },
      'transient',
      'TIMEOUT',
      undefined,
    ],
    [
      'wrong password (Basic)',
      () => undefined,
      { auth: basic('alice', 'wrong') },
      'credentials',
      'HTTP401',
      undefined,
    ],
    [
      'wrong password (NTLM)',
      () => undefined,
      { auth: { ...basic('alice', 'wrong'), kind: 'ntlm' } },
      'credentials',
      'HTTP401',
      undefined,
    ],
    [
      'injected 401',
      () => sim.admin.addFault({ kind: 'authFailure', count: 1 }),
      {},
      'credentials',
      'HTTP401',
      undefined,
    ],
    [
      'impersonation not granted (SOAP fault)',
      () => undefined,
      { auth: basic('limited'), impersonate: { smtpAddress: 'alice@contoso.com' } },
      'permissions',
      'ErrorImpersonateUserDenied',
      undefined,
    ],
    [
      'unknown mailbox (impersonation, SOAP fault)',
      () => undefined,
      {
        auth: basic('svc'),
        impersonate: { smtpAddress: 'ghost@contoso.com' },
        mailboxSmtp: 'ghost@contoso.com',
      },
      'location',
      'ErrorNonExistentMailbox',
      undefined,
    ],
    [
      'another mailbox without rights',
      () => undefined,
      { mailboxSmtp: 'bob@contoso.com' },
      'permissions',
      'ErrorAccessDenied',
      undefined,
    ],
  ])('%s', async (scenario, arrange, over, code, ewsCode, retryAfterMs) => {
    const c = await conn(over);
    arrange();
    const e = await raw(scenario, c, bindInbox);
    expect(e.code).toBe(code);
    expect(e.ewsCode).toBe(ewsCode);
    expect(e.retryAfterMs).toBe(retryAfterMs);
    expect(e.message).not.toContain(PASSWORD);
    expect(e.message).not.toContain('wrong');
    // …and the same through the adapter's operation.
    arrange();
    const viaOp = await rejectionOf(testIncoming(c));
    expect(viaOp).toBeInstanceOf(ExchangeError);
    expect((viaOp as ExchangeError).code).toBe(code);
    expect((viaOp as ExchangeError).operation).toBe('testIncoming');
    expect((viaOp as ExchangeError).retryAfterMs).toBe(retryAfterMs);
  });

  it('connection refused', async () => {
    const c = await conn({ ewsUrl: `http://127.0.0.1:${await closedPort()}/EWS/Exchange.asmx` });
    const e = await raw('connection refused', c, bindInbox);
    expect([e.code, e.ewsCode]).toEqual(['transient', 'ECONNREFUSED']);
  });

  it('invalid sync state (forged and injected) → cursor; full re-sync recovers', async () => {
    const c = await conn();
    const forged = Buffer.from('garbage').toString('base64');
    const e = await raw('invalid sync state', c, (x) =>
      x.service.SyncFolderItems(
        x.folder(WellKnownFolderName.Inbox),
        PropertySet.IdOnly,
        null as never,
        10,
        SyncFolderItemsScope.NormalItems,
        forged,
      ),
    );
    expect([e.code, e.ewsCode]).toEqual(['cursor', 'ErrorInvalidSyncStateData']);
    expect(classify(e, { attempt: 1 }).action).toBe('resync');
    const first = await syncInbox(c, null, 10);
    sim.admin.addFault({ kind: 'invalidSyncState', mailbox: 'alice@contoso.com', count: 1 });
    const viaOp = (await rejectionOf(syncInbox(c, first.newSyncState, 10))) as ExchangeError;
    expect(viaOp.code).toBe('cursor');
    expect((await syncInbox(c, null, 10)).newSyncState).toBeTruthy();
  });

  it('missing item → not-found', async () => {
    const c = await conn();
    const e = await raw('item not found', c, (x) => EmailMessage.Bind(x.service, new ItemId('AAMkAGnope')));
    expect([e.code, e.ewsCode]).toEqual(['not-found', 'ErrorItemNotFound']);
  });

  it('malformed request (unescaped &) → unknown ErrorSchemaValidation (our bug, not the mailbox)', async () => {
    const c = await conn();
    const e = await raw('schema validation', c, (x) => {
      const m = new EmailMessage(x.service);
      m.Subject = 'a & <b';
      return m.Save(x.folder(WellKnownFolderName.Drafts));
    });
    expect([e.code, e.ewsCode]).toEqual(['unknown', 'ErrorSchemaValidation']);
  });

  it('ErrorExceededConnectionCount → throttled', async () => {
    sim.server.opts.concurrencyError = 'ErrorExceededConnectionCount';
    sim.admin.setMaxConcurrency(1);
    sim.admin.addFault({ kind: 'latency', latencyMs: 300, count: 2 });
    try {
      const c = await conn();
      const results = await Promise.allSettled([testIncoming(c), testIncoming(c)]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect((failed[0]?.reason as ExchangeError).code).toBe('throttled');
      expect((failed[0]?.reason as ExchangeError).ewsCode).toBe('ErrorExceededConnectionCount');
    } finally {
      sim.server.opts.concurrencyError = 'ErrorServerBusy';
      sim.admin.setMaxConcurrency(27);
    }
  });
});

describe('Autodiscover', () => {
  it('resolves the EWS URL once per mailbox, re-discovers after invalidate; unknown mailbox → location; bad password → credentials', async () => {
    const f = new ExchangeClientFactory();
    const spec = (email: string, password = PASSWORD) => ({
      autodiscover: { email, url: sim.autodiscoverUrl },
      auth: { kind: 'auto' as const, userName: 'svc', password, domain: 'CONTOSO' },
      impersonate: { smtpAddress: email },
      mailboxSmtp: email,
      timeoutMs: 5_000,
    });
    const conns = await Promise.all([
      f.connect(spec('alice@contoso.com')),
      f.connect(spec('alice@contoso.com')),
      f.connect(spec('bob@contoso.com')),
    ]);
    expect(conns.map((c) => c.ewsUrl)).toEqual([sim.ewsUrl, sim.ewsUrl, sim.ewsUrl]);
    expect(conns[0]?.scheme).toBe('ntlm');
    expect(f.autodiscover.discoveries).toBe(2);
    await testIncoming(conns[0]);
    f.autodiscover.invalidate('alice@contoso.com');
    await f.connect(spec('alice@contoso.com'));
    expect(f.autodiscover.discoveries).toBe(3);
    // A discovered location that stops working is forgotten, so the next connect re-discovers (P-2).
    const dave = 'dave@contoso.com';
    sim.admin.createMailbox({ smtpAddress: dave });
    const daveConn = await f.connect(spec(dave));
    expect(f.autodiscover.peek(dave)).toBeDefined();
    sim.store.mailboxes.delete(dave);
    expect(((await rejectionOf(testIncoming(daveConn))) as ExchangeError).code).toBe('location');
    expect(f.autodiscover.peek(dave)).toBeUndefined();
    const ghost = (await rejectionOf(f.connect(spec('ghost@contoso.com')))) as ExchangeError;
    expect([ghost.code, ghost.operation]).toEqual(['location', 'autodiscover']);
    const bad = (await rejectionOf(f.connect(spec('carol@contoso.com', 'wrong')))) as ExchangeError;
    expect(bad.code).toBe('credentials');
    const down = (await rejectionOf(
      f.connect({
        ...spec('carol@contoso.com'),
        autodiscover: {
          email: 'carol@contoso.com',
          url: `http://127.0.0.1:${await closedPort()}/autodiscover/autodiscover.svc`,
        },
      }),
    )) as ExchangeError;
    expect(down.code).toBe('transient');
  });
});

it('windows-integrated uses the configured service identity; without one → credentials', async () => {
  const f = new ExchangeClientFactory({
    serviceIdentity: { userName: 'svc', password: PASSWORD, domain: 'CONTOSO' },
  });
  const c = await f.connect({
    ewsUrl: sim.ewsUrl,
    auth: { kind: 'windows-integrated' },
    impersonate: { smtpAddress: 'carol@contoso.com' },
    mailboxSmtp: 'carol@contoso.com',
  });
  expect(c.scheme).toBe('ntlm');
  await testIncoming(c);
  // A connection that ends up in a log line shows no secret.
  expect(JSON.stringify(c)).not.toContain(PASSWORD);
  expect(inspect(c, { depth: 10 })).not.toContain(PASSWORD);
  expect(inspect(c)).toContain('carol@contoso.com');
  const e = (await rejectionOf(
    new ExchangeClientFactory().connect({
      ewsUrl: sim.ewsUrl,
      auth: { kind: 'windows-integrated' },
      mailboxSmtp: 'carol@contoso.com',
    }),
  )) as ExchangeError;
  expect(e.code).toBe('credentials');
});
void FolderId;
