import type { SimulatorHandle } from '../../../apps/exchange-simulator/src';
import {
  ExchangeClientFactory,
  ExchangeError,
  fetchSince,
  findSentByClientId,
  moveToUndeliverable,
  sendMail,
  syncInbox,
  testAct,
  testIncoming,
  testOutgoing,
  undeliverableFolderId,
} from './index';
import { connect, Mode, rejectionOf, startTestSimulator } from '../test/support';

const subj = (i: { f: Record<string, unknown> }): string =>
  typeof i.f.Subject === 'string' ? i.f.Subject : '';

let sim: SimulatorHandle;
let factory: ExchangeClientFactory;
beforeAll(async () => {
  sim = await startTestSimulator();
  factory = new ExchangeClientFactory();
});
afterAll(async () => {
  await sim.close();
});

const MODES: Mode[] = [
  { label: 'Basic', kind: 'basic', user: 'alice', impersonate: false },
  { label: 'NTLM', kind: 'ntlm', user: 'alice', impersonate: false },
  { label: 'Basic + impersonation', kind: 'basic', user: 'svc', impersonate: true },
  { label: 'NTLM + impersonation', kind: 'ntlm', user: 'svc', impersonate: true },
  { label: 'AutoDetect + impersonation', kind: 'auto', user: 'svc', impersonate: true },
  { label: 'Negotiate', kind: 'negotiate', user: 'alice', impersonate: false },
];

describe.each(MODES)('every operation: $label', (mode) => {
  const tag = mode.label.replace(/\W+/g, '-');
  const me = mode.impersonate ? 'carol@contoso.com' : 'alice@contoso.com';

  it('testIncoming, testOutgoing (draft created and removed), testAct', async () => {
    const c = await connect(factory, sim, mode, me);
    const draftsBefore = sim.admin.folderItems(me, 'drafts').length;
    await testIncoming(c);
    await testOutgoing(c);
    await testAct(c);
    expect(sim.admin.folderItems(me, 'drafts')).toHaveLength(draftsBefore);
    expect(
      sim.admin.folderItems(me, 'deleteditems').filter((i) => subj(i).includes('ssync outgoing test')),
    ).toHaveLength(0);
  });

  it('sendMail with &, <, quotes and non-ASCII arrives intact in the recipient inbox via syncInbox; retry sends once', async () => {
    const c = await connect(factory, sim, mode, me);
    const bob = await connect(
      factory,
      sim,
      { label: 'bob', kind: 'basic', user: 'bob', impersonate: false },
      'bob@contoso.com',
    );
    let state: string | null = null;
    for (;;) {
      const r = await syncInbox(bob, state, 512);
      state = r.newSyncState;
      if (!r.moreAvailable) break;
    }
    const subject = `Q&A <${tag}> "quoted" 'single' — Grüße, 日本語 & ünïcödé 🚀`;
    const body = `a & b < c > d "e" 'f'\nZeile 2: äöü ß — ${tag} 🚀 </body> ]]> &amp;`;
    const clientMessageId = `act-${tag}-1`;
    const input = {
      to: ['bob@contoso.com'],
      cc: ['external@fabrikam.example'],
      subject,
      body,
      bodyType: 'Text' as const,
      clientMessageId,
    };
    expect(await findSentByClientId(c, clientMessageId)).toBeNull();
    const first = await sendMail(c, input);
    expect(first.alreadySent).toBe(false);
    expect(first.itemId).toBeTruthy();
    const second = await sendMail(c, input);
    expect(second.alreadySent).toBe(true);
    expect(second.itemId).toBe(first.itemId);
    const sent = sim.admin.folderItems(me, 'sentitems').filter((i) => i.f.Subject === subject);
    expect(sent).toHaveLength(1);

    const delta = await syncInbox(bob, state, 512);
    const got = delta.created.filter((m) => m.subject === subject);
    expect(got).toHaveLength(1);
    const m = got[0]!;
    expect(m.body).toBe(body);
    expect(m.from?.address.toLowerCase()).toBe(me);
    expect(m.to.map((a) => a.address)).toEqual(['bob@contoso.com']);
    expect(m.cc.map((a) => a.address)).toEqual(['external@fabrikam.example']);
    expect(m.dateTimeReceived).toBeInstanceOf(Date);
    expect(m.internetMessageId).toBeTruthy();
    const again = await syncInbox(bob, delta.newSyncState, 512);
    expect(again.created.filter((x) => x.subject === subject)).toHaveLength(0);
  });

  it('fetchSince returns what arrived since the date, oldest first', async () => {
    const c = await connect(factory, sim, mode, me);
    const since = new Date(Date.UTC(2031, 0, 1));
    for (const d of [3, 1, 2])
      sim.admin.deliver({
        from: 'f@fabrikam.com',
        to: [me],
        subject: `since ${d} ${tag}`,
        receivedAt: new Date(Date.UTC(2031, 0, d)),
      });
    sim.admin.deliver({
      from: 'f@fabrikam.com',
      to: [me],
      subject: `before ${tag}`,
      receivedAt: new Date(Date.UTC(2030, 11, 31)),
    });
    const page = await fetchSince(c, since, 10);
    expect(page.messages.map((m) => m.subject).filter((x) => x.endsWith(tag))).toEqual(
      [1, 2, 3].map((d) => `since ${d} ${tag}`),
    );
    expect(page.nextOffset).toBeNull();
  });

  it('moveToUndeliverable creates the folder once and moves the message', async () => {
    const c = await connect(factory, sim, mode, me);
    sim.admin.deliver({ from: 'x@fabrikam.com', to: [me], subject: `bad 1 ${tag}` });
    sim.admin.deliver({ from: 'x@fabrikam.com', to: [me], subject: `bad 2 ${tag}` });
    const inbox = sim.admin
      .folderItems(me, 'inbox')
      .filter((i) => subj(i).startsWith('bad ') && subj(i).endsWith(tag));
    expect(inbox).toHaveLength(2);
    const fresh = new ExchangeClientFactory();
    const c2 = await fresh.connect({
      ewsUrl: c.ewsUrl,
      auth: {
        kind: 'basic',
        userName: mode.impersonate ? 'svc' : 'alice',
        password: (await import('../test/support')).PASSWORD,
        domain: 'CONTOSO',
      },
      mailboxSmtp: me,
      ...(mode.impersonate ? { impersonate: { smtpAddress: me } } : {}),
    });
    const ids = await Promise.all(inbox.map((i, n) => moveToUndeliverable(n ? c2 : c, i.id)));
    expect(ids.every((x) => typeof x === 'string')).toBe(true);
    const mbx = sim.store.mailbox(me)!;
    const folders = [...sim.store.folders.values()].filter(
      (f) => f.mailbox === mbx.key && f.displayName === 'Undeliverable',
    );
    expect(folders).toHaveLength(1);
    expect(
      sim.admin.folderItems(me, 'inbox').filter((i) => subj(i).endsWith(tag) && subj(i).startsWith('bad ')),
    ).toHaveLength(0);
    expect(await undeliverableFolderId(c)).toBe(folders[0]!.id);
  });
});

describe('sendMail exactly once', () => {
  it('a send that timed out on our side but went through at the server is not sent again by the retry', async () => {
    const mode: Mode = { label: 'svc', kind: 'basic', user: 'svc', impersonate: true };
    const c = await connect(factory, sim, mode, 'carol@contoso.com', { timeoutMs: 400 });
    const input = {
      to: ['bob@contoso.com'],
      subject: 'timeout then retry',
      body: 'once',
      bodyType: 'HTML' as const,
      clientMessageId: 'act-timeout-1',
    };
    sim.admin.addFault({ kind: 'latency', operation: 'CreateItem', latencyMs: 1200, count: 1 });
    const e = (await rejectionOf(sendMail(c, input))) as ExchangeError;
    expect(e).toBeInstanceOf(ExchangeError);
    expect([e.code, e.ewsCode, e.operation]).toEqual(['transient', 'TIMEOUT', 'sendMail']);
    await new Promise((r) => setTimeout(r, 1200)); // the server finishes the send meanwhile
    const retry = await sendMail(c, input);
    expect(retry.alreadySent).toBe(true);
    const inBob = sim.admin
      .folderItems('bob@contoso.com', 'inbox')
      .filter((i) => subj(i) === 'timeout then retry');
    expect(inBob).toHaveLength(1);
    expect(
      sim.admin.folderItems('carol@contoso.com', 'sentitems').filter((i) => subj(i) === 'timeout then retry'),
    ).toHaveLength(1);
  });

  it('concurrent retries of different ids each send once; invalid ids and no recipients are refused before any call', async () => {
    const mode: Mode = { label: 'svc', kind: 'ntlm', user: 'svc', impersonate: true };
    const c = await connect(factory, sim, mode, 'carol@contoso.com');
    const send = (n: number) =>
      sendMail(c, {
        to: ['bob@contoso.com'],
        subject: `burst ${n}`,
        body: 'x',
        bodyType: 'Text',
        clientMessageId: `burst-${n}`,
      });
    await Promise.all([1, 2, 3].map(send));
    const again = await Promise.all([1, 2, 3].map(send));
    expect(again.every((r) => r.alreadySent)).toBe(true);
    for (const n of [1, 2, 3])
      expect(
        sim.admin.folderItems('bob@contoso.com', 'inbox').filter((i) => subj(i) === `burst ${n}`),
      ).toHaveLength(1);
    await expect(
      sendMail(c, {
        to: ['bob@contoso.com'],
        subject: 's',
        body: 'b',
        bodyType: 'Text',
        clientMessageId: 'bad id <x>',
      }),
    ).rejects.toThrow(TypeError);
    await expect(
      sendMail(c, { to: [], subject: 's', body: 'b', bodyType: 'Text', clientMessageId: 'ok-1' }),
    ).rejects.toThrow(TypeError);
  });

  it('anonymous access (P-4 "Without Credential") is refused with a clear message', async () => {
    const e = (await rejectionOf(
      factory.connect({
        ewsUrl: sim.ewsUrl,
        auth: { kind: 'basic', userName: '', password: '' },
        mailboxSmtp: 'alice@contoso.com',
      }),
    )) as ExchangeError;
    expect(e.code).toBe('credentials');
    expect(e.message).toMatch(/anonymous/);
  });
});
