import {
  Folder,
  WellKnownFolderName,
  FolderId,
  PropertySet,
  SyncFolderItemsScope,
  ItemView,
} from 'ews-javascript-api';
import { client, ewsErrorOf, startTestSimulator, validateBodies, PASSWORD } from './support';
import { NO_IDS, NO_STATE } from './support';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;
let sim: Sim;
beforeAll(async () => {
  sim = await startTestSimulator({ maxConcurrency: 5, latencyMs: 0 });
});
afterAll(async () => {
  await sim.close();
  const v = await validateBodies(sim.responses.map((r) => r.xml));
  expect(v.errors).toEqual([]);
});

const soap = (body: string, header = ''): string =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
const auth = (u = 'alice'): string => `Basic ${Buffer.from(`${u}:${PASSWORD}`).toString('base64')}`;
async function post(sim: Sim, xml: string, user = 'alice'): Promise<{ status: number; text: string }> {
  const r = await fetch(sim.ewsUrl, {
    method: 'POST',
    headers: { Authorization: auth(user), 'Content-Type': 'text/xml; charset=utf-8' },
    body: xml,
  });
  return { status: r.status, text: await r.text() };
}

describe('throttling', () => {
  it('refuses concurrency above the budget with ErrorServerBusy and reports the true high-water mark', async () => {
    sim.admin.resetMetrics();
    sim.admin.addFault({ kind: 'latency', latencyMs: 300, account: 'alice', count: 12 });
    const svc = client(sim);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))),
    );
    expect(results.filter((r) => r === 'NoError')).toHaveLength(5);
    expect(results.filter((r) => r === 'ErrorServerBusy')).toHaveLength(7);
    const m = sim.admin.metrics() as {
      concurrency: {
        accounts: Record<string, { highWater: number; current: number }>;
        mailboxes: Record<string, { highWater: number }>;
      };
    };
    expect(m.concurrency.accounts.alice?.highWater).toBe(5);
    expect(m.concurrency.accounts.alice?.current).toBe(0);
    expect(m.concurrency.mailboxes['alice@contoso.com']?.highWater).toBe(5);
    sim.admin.clearFaults();
  });

  it('the impersonating account has its own budget', async () => {
    sim.admin.addFault({ kind: 'latency', latencyMs: 300, count: 20 });
    const alice = client(sim);
    const svc = client(sim, { user: 'svc', impersonate: 'alice@contoso.com' });
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => ewsErrorOf(Folder.Bind(alice, WellKnownFolderName.Inbox))),
      ...Array.from({ length: 5 }, () => ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))),
    ]);
    expect(results.every((r) => r === 'NoError')).toBe(true);
    sim.admin.clearFaults();
  });

  it('ErrorExceededConnectionCount when configured so', async () => {
    sim.server.opts.concurrencyError = 'ErrorExceededConnectionCount';
    sim.admin.addFault({ kind: 'latency', latencyMs: 300, count: 7 });
    const svc = client(sim);
    const results = await Promise.all(
      Array.from({ length: 7 }, () => ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))),
    );
    expect(results.filter((r) => r === 'ErrorExceededConnectionCount')).toHaveLength(2);
    sim.server.opts.concurrencyError = 'ErrorServerBusy';
    sim.admin.clearFaults();
  });
});

describe('malformed and schema-invalid requests get SOAP faults', () => {
  it.each([
    ['not XML', 'this is not xml'],
    ['unclosed tag', soap('<m:GetFolder><m:FolderShape>')],
    ['no body', '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>'],
    [
      'unescaped ampersand',
      soap('<m:GetFolder><m:FolderShape><t:BaseShape>A & B</t:BaseShape></m:FolderShape></m:GetFolder>'),
    ],
  ])('%s → ErrorSchemaValidation', async (_n, xml) => {
    const r = await post(sim, xml);
    expect(r.status).toBe(500);
    expect(r.text).toContain('ErrorSchemaValidation');
    expect(r.text).toContain('<s:Fault>');
    expect(r.text).toContain('ServerVersionInfo');
  });
  it('a schema-valid request in a form ews-javascript-api does not send (XML declaration, other prefixes, booleans as 1)', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header><RequestServerVersion xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Version="Exchange2016"/></S:Header><S:Body><GetFolder xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><FolderShape><BaseShape xmlns="http://schemas.microsoft.com/exchange/services/2006/types">Default</BaseShape></FolderShape><FolderIds><DistinguishedFolderId xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Id="inbox"><Mailbox><EmailAddress>alice@contoso.com</EmailAddress></Mailbox></DistinguishedFolderId></FolderIds></GetFolder></S:Body></S:Envelope>`;
    const r = await post(sim, xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('ResponseClass="Success"');
  });
});

describe('fault injection', () => {
  afterEach(() => sim.admin.clearFaults());
  it('HTTP 503, ErrorServerBusy (fault and message), connection reset, auth failure — by account/mailbox with counts', async () => {
    const svc = client(sim, { user: 'bob' });
    sim.admin.addFault({ kind: 'http503', mailbox: 'bob@contoso.com', count: 1 });
    expect(await ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('HTTP503');
    expect(await ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('NoError');
    sim.admin.addFault({ kind: 'serverBusy', account: 'bob', count: 1, backOffMs: 1234 });
    expect(await ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('ErrorServerBusy');
    sim.admin.addFault({ kind: 'serverBusy', account: 'bob', count: 1, as: 'message' });
    expect(await ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('ErrorServerBusy');
    sim.admin.addFault({ kind: 'connectionReset', account: 'bob', count: 1 });
    expect(await ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))).not.toBe('NoError');
    sim.admin.addFault({ kind: 'authFailure', account: 'bob', count: 1 });
    expect(await ewsErrorOf(Folder.Bind(svc, WellKnownFolderName.Inbox))).toBe('HTTP401');
    // other accounts unaffected
    sim.admin.addFault({ kind: 'http503', account: 'bob' });
    expect(await ewsErrorOf(Folder.Bind(client(sim), WellKnownFolderName.Inbox))).toBe('NoError');
  });
  it('invalid sync state on demand', async () => {
    const svc = client(sim);
    const r1 = await svc.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      PropertySet.IdOnly,
      NO_IDS,
      10,
      SyncFolderItemsScope.NormalItems,
      NO_STATE,
    );
    sim.admin.addFault({ kind: 'invalidSyncState', mailbox: 'alice@contoso.com', count: 1 });
    const p = svc.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      PropertySet.IdOnly,
      NO_IDS,
      10,
      SyncFolderItemsScope.NormalItems,
      r1.SyncState,
    );
    expect(await ewsErrorOf(p)).toBe('ErrorInvalidSyncStateData');
  });
  it('probability 0 never fires', async () => {
    sim.admin.addFault({ kind: 'http503', probability: 0 });
    expect(await ewsErrorOf(client(sim).FindItems(WellKnownFolderName.Inbox, new ItemView(1)))).toBe(
      'NoError',
    );
  });
});

 
type Json = any;

describe('admin API', () => {
  it('creates accounts, mailboxes, grants; delivers; lists; bulk generates; metrics; OpenAPI', async () => {
    const a = sim.adminUrl;
    const j = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: Json }> => {
      const r = await fetch(a + path, {
        method,
        headers: { 'Content-Type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, json: await r.json() };
    };
    expect(
      (await j('POST', '/accounts', { userName: 'dave', password: 'x', domain: 'CONTOSO' })).status,
    ).toBe(201);
    expect((await j('POST', '/accounts', { userName: 'dave', password: 'x' })).status).toBe(409);
    expect(
      (
        await j('POST', '/mailboxes', {
          smtpAddress: 'dave@contoso.com',
          displayName: 'Dave',
          ownerUserName: 'dave',
        })
      ).status,
    ).toBe(201);
    expect(
      (await j('POST', '/impersonation-grants', { userName: 'dave', mailboxes: ['bob@contoso.com'] })).status,
    ).toBe(201);
    const d = await j('POST', '/mailboxes/dave@contoso.com/messages', {
      from: 'x@fabrikam.com',
      to: ['dave@contoso.com', 'bob@contoso.com'],
      subject: 'Hi',
      body: 'b',
      bodyType: 'Text',
      receivedAt: '2024-05-01T10:00:00Z',
    });
    expect(d.status).toBe(201);
    expect(d.json.delivered).toHaveLength(2);
    const items = await j('GET', '/mailboxes/dave@contoso.com/folders/inbox/items');
    expect(items.json.items[0].subject).toBe('Hi');
    const bulk = await j('POST', '/messages/bulk', {
      mailboxCount: 3,
      messagesPerMailbox: 4,
      prefix: 'gen',
      domain: 'bulk.test',
    });
    expect(bulk.json.messages).toBe(12);
    const metrics = await j('GET', '/metrics');
    expect(metrics.json.requests.total).toBeGreaterThan(0);
    const oa = await j('GET', '/openapi.json');
    expect(oa.json.openapi).toBe('3.0.3');
    expect((await j('POST', '/faults', { kind: 'nope' })).status).toBe(400);
  });
});
