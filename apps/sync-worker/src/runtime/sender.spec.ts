import { Logger } from '@nestjs/common';
import {
  ActivityCommand,
  ActivityState,
  DomainError,
  OutgoingEmail,
  activityDecider,
  activityResultState,
} from '@ssync/domain';
import { ExchangeConnection, SendMailInput, SentMessage, UNLIMITED, sendMail } from '@ssync/exchange';
import { KafkaCommandGateway } from '@ssync/messaging';
import { MailboxOwner } from '../mailbox-owner';
import { ActivitySource, CLOCK_MARGIN_MS, OutgoingSender, callBoundMs, claimTtlMs } from './sender';

jest.mock('@ssync/exchange', () => ({
  ...jest.requireActual<Record<string, unknown>>('@ssync/exchange'),
  sendMail: jest.fn(),
}));
const sendMailMock = sendMail as jest.MockedFunction<typeof sendMail>;

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const ACTIVITY = 'act-out-1';

/**
 * The activity partition's single writer, in memory: commands are decided one at a time by the real decider, as
 * the CommandProcessor does, and every worker's ActivitySource sees the events.
 */
class ActivityPartition implements ActivitySource {
  private readonly states = new Map<string, ActivityState>();
  private readonly listeners: ((e: { aggregateId: string }, s: { state: ActivityState }) => void)[] = [];
  readonly commands: ActivityCommand[] = [];
  /** Runs before a command is decided (a slow command path moves the clock on). */
  beforeDecide: (command: ActivityCommand) => void = () => undefined;

  entries(): IterableIterator<[string, { state: ActivityState }]> {
    return new Map([...this.states].map(([id, state]) => [id, { state }])).entries();
  }

  get(id: string): { state: ActivityState } {
    return { state: this.states.get(id) ?? activityDecider.initialState() };
  }

  subscribe(listener: (e: { aggregateId: string }, s: { state: ActivityState }) => void): void {
    this.listeners.push(listener);
  }

  decide(id: string, command: ActivityCommand) {
    this.commands.push(command);
    this.beforeDecide(command);
    const before = this.get(id).state;
    try {
      const events = activityDecider.decide(command, before);
      let state = before;
      for (const e of events) {
        state = activityDecider.evolve(state, e);
        this.states.set(id, state);
        for (const l of this.listeners) l({ aggregateId: id }, { state });
      }
      return { aggregateId: id, accepted: true, state: activityResultState(state), error: null, events };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return {
        aggregateId: id,
        accepted: false,
        state: activityResultState(before),
        error: { kind: error.kind, message: error.message, violations: [] },
        events: [],
      };
    }
  }

  gateway(): KafkaCommandGateway {
    return {
      sendCommand: (_type: string, id: string, command: ActivityCommand) =>
        Promise.resolve(this.decide(id, command)),
    } as unknown as KafkaCommandGateway;
  }

  email(id = ACTIVITY): OutgoingEmail {
    const s = this.get(id).state;
    if (s.kind !== 'Outgoing') throw new Error(`not outgoing: ${s.kind}`);
    return s.email;
  }

  claimsOf(claimant: string): number {
    return this.commands.filter((c) => c.type === 'ClaimSend' && c.claimant === claimant).length;
  }
}

describe('OutgoingSender: each queued email is sent once, under a claim', () => {
  let clock: number;
  const now = () => clock;
  let partition: ActivityPartition;
  /** What Exchange sent, by client message id. */
  let exchange: Map<string, number>;
  // A real connection (its guard is what keeps a send inside its claim) whose calls never reach a server: sendMail
  // is mocked below.
  const conn = new ExchangeConnection(
    undefined as never,
    'bob@contoso.test',
    'http://exchange.test/EWS/Exchange.asmx',
    'ntlm',
    false,
    1_000,
    UNLIMITED,
    { key: 'profile:p-1', max: 1 },
  );
  const owner = {
    owns: () => true,
    mailboxes: {
      get: () => ({
        state: {
          status: 'Active',
          mailbox: { outgoingEmailDeliveryMethod: 'ServerSideSync', enabledForOutgoingEmail: true },
        },
      }),
    },
  } as unknown as MailboxOwner;

  /** sendMail's shape: look in Sent Items, else send, each as an EWS call through the connection. */
  async function exchangeSend(c: ExchangeConnection, input: SendMailInput): Promise<SentMessage> {
    const found = await c.run('findSentByClientId', () =>
      Promise.resolve(exchange.has(input.clientMessageId)),
    );
    if (found) return { alreadySent: true, itemId: 'AAMk-1', changeKey: null, internetMessageId: '<m@c>' };
    await c.run('sendMail', () => {
      exchange.set(input.clientMessageId, (exchange.get(input.clientMessageId) ?? 0) + 1);
      return Promise.resolve();
    });
    return { alreadySent: false, itemId: 'AAMk-1', changeKey: null, internetMessageId: '<m@c>' };
  }

  const sender = (actor: string) =>
    new OutgoingSender(owner, partition, partition.gateway(), () => Promise.resolve(conn), {
      actor,
      concurrency: 4,
      now,
    });
  const run = async (...senders: OutgoingSender[]) => {
    await Promise.all(senders.flatMap((s) => s.due()));
  };

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(() => {
    clock = T0;
    exchange = new Map();
    partition = new ActivityPartition();
    sendMailMock.mockReset();
    sendMailMock.mockImplementation(exchangeSend);
    partition.decide(ACTIVITY, {
      type: 'QueueOutgoingEmail',
      commandId: 'q-1',
      actor: 'u-bob',
      issuedAt: new Date(T0).toISOString(),
      activityId: ACTIVITY,
      mailboxId: 'mbx-bob',
      from: 'bob@contoso.test',
      to: ['alice@contoso.test'],
      cc: [],
      subject: 'Offer',
      body: 'Dear Alice',
      bodyType: 'Text',
    });
  });

  it('sizes the claim to the whole sendMail and bounds a call by its round trips', () => {
    expect(claimTtlMs({ timeoutMs: 30_000 })).toBe(6 * 30_000 + 1_000 + 2 * CLOCK_MARGIN_MS);
    expect(callBoundMs({ timeoutMs: 30_000, scheme: 'ntlm' })).toBe(60_000);
    expect(callBoundMs({ timeoutMs: 30_000, scheme: 'basic' })).toBe(30_000);
  });

  it('two workers that both think they own the mailbox: one claims and sends, the other waits for the claim', async () => {
    const a = sender('sync-worker:a');
    const b = sender('sync-worker:b');
    await run(a, b);
    expect(exchange.get(ACTIVITY)).toBe(1);
    expect(sendMailMock).toHaveBeenCalledTimes(1);
    expect(partition.email()).toMatchObject({ status: 'Sent', attempts: 1, claim: null });
    expect(a.stats.sent + b.stats.sent).toBe(1);
    expect(a.stats.claimsRefused + b.stats.claimsRefused).toBe(1);
  });

  it('the refused worker does not ask again before the claim lapses (no busy loop); a stalled send never starts late', async () => {
    const a = sender('sync-worker:a');
    const b = sender('sync-worker:b');
    // a claims first, then stalls before its first call (waiting for a P-11 slot, say).
    let release: () => void = () => undefined;
    sendMailMock.mockImplementationOnce(async (c, input) => {
      await new Promise<void>((r) => (release = r));
      return exchangeSend(c, input);
    });
    const aSending = a.due();
    await run(b);
    expect(b.stats.claimsRefused).toBe(1);
    await run(b);
    clock += claimTtlMs(conn) - 1;
    await run(b);
    expect(partition.claimsOf(b.claimant)).toBe(1);
    // a's claim has lapsed: b takes the attempt over and sends.
    clock += 1;
    await run(b);
    expect(exchange.get(ACTIVITY)).toBe(1);
    expect(partition.email()).toMatchObject({ status: 'Sent', attempts: 1 });
    // a gets its slot at last: too late to start anything under its claim.
    release();
    await Promise.all(aSending);
    expect(a.stats).toMatchObject({ claimsLapsed: 1, sent: 0, alreadySent: 0 });
    expect(exchange.get(ACTIVITY)).toBe(1);
  });

  it('an acceptance that came back late is not used; the same worker claims again and sends', async () => {
    const a = sender('sync-worker:a');
    partition.beforeDecide = (c) => {
      if (c.type === 'ClaimSend') clock += claimTtlMs(conn) / 10 + 1;
    };
    await run(a);
    expect(sendMailMock).not.toHaveBeenCalled();
    expect(a.stats.claimsLate).toBe(1);
    expect(partition.email()).toMatchObject({ status: 'PendingSend', claim: { claimant: a.claimant } });
    partition.beforeDecide = () => undefined;
    await run(a); // within a second: not yet
    expect(partition.claimsOf(a.claimant)).toBe(1);
    clock += 1_000;
    await run(a);
    expect(exchange.get(ACTIVITY)).toBe(1);
    expect(partition.email().status).toBe('Sent');
  });

  it('a call that could not end before the claim lapses is not started, and no outcome is recorded', async () => {
    const a = sender('sync-worker:a');
    const b = sender('sync-worker:b');
    // Waiting for a P-11 slot took so long that the send call, started now, could outlast the claim.
    sendMailMock.mockImplementationOnce(async (c, input) => {
      const claim = partition.email().claim!;
      clock = Date.parse(claim.claimUntil) - callBoundMs(conn) - CLOCK_MARGIN_MS + 1;
      return exchangeSend(c, input);
    });
    await run(a);
    expect(exchange.has(ACTIVITY)).toBe(false);
    expect(a.stats).toMatchObject({ claimsLapsed: 1, failed: 0, sent: 0 });
    expect(partition.commands.filter((c) => c.type === 'RecordSendOutcome')).toHaveLength(0);
    expect(partition.email()).toMatchObject({ status: 'PendingSend', attempts: 0 });
    // Once a's claim lapsed, b takes the attempt over and sends it, once.
    clock = Date.parse(partition.email().claim!.claimUntil);
    await run(b);
    expect(exchange.get(ACTIVITY)).toBe(1);
    expect(partition.email()).toMatchObject({ status: 'Sent', attempts: 1 });
  });

  it('a worker that died after Exchange sent: the next one claims after the claim lapsed and finds it in Sent Items', async () => {
    const a = sender('sync-worker:a');
    const b = sender('sync-worker:b');
    // a sends, then dies before recording the outcome (its sendMail never returns).
    sendMailMock.mockImplementationOnce(async (c, input) => {
      await exchangeSend(c, input);
      return new Promise<SentMessage>(() => undefined);
    });
    void a.due();
    await new Promise((r) => setImmediate(r));
    expect(exchange.get(ACTIVITY)).toBe(1);
    const claimUntil = Date.parse(partition.email().claim!.claimUntil);
    clock = claimUntil - 1;
    await run(b);
    expect(partition.claimsOf(b.claimant)).toBe(0);
    clock = claimUntil;
    await run(b);
    expect(b.stats).toMatchObject({ alreadySent: 1, sent: 0 });
    expect(exchange.get(ACTIVITY)).toBe(1);
    expect(partition.email()).toMatchObject({ status: 'Sent', attempts: 1 });
  });

  it('the database (connection slots) or the broker away: no outcome recorded, no attempt used, sent once it is back (issue #11)', async () => {
    const away = (name: string) => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name });
    let connectFails = true;
    const a = new OutgoingSender(
      owner,
      partition,
      partition.gateway(),
      () => (connectFails ? Promise.reject(away('MongoServerSelectionError')) : Promise.resolve(conn)),
      { actor: 'sync-worker:a', concurrency: 4, now },
    );
    await run(a);
    // A slot that cannot be had while sending is the same: the send stops, nothing is recorded.
    connectFails = false;
    sendMailMock.mockImplementationOnce(() => Promise.reject(away('MongoNetworkError')));
    clock += 5_000;
    await run(a);
    expect(partition.commands.filter((c) => c.type === 'RecordSendOutcome')).toEqual([]);
    expect(partition.email()).toMatchObject({ status: 'PendingSend', attempts: 0 });
    expect(a.stats.failed).toBe(0);
    // Not again at once (no busy loop while it is away); a few seconds later it goes through, once.
    await run(a);
    expect(exchange.get(ACTIVITY)).toBeUndefined();
    clock = Date.parse(partition.email().claim!.claimUntil);
    await run(a);
    expect(exchange.get(ACTIVITY)).toBe(1);
    expect(partition.email()).toMatchObject({ status: 'Sent', attempts: 1 });
  });

  it('a restarted worker with the same instance id is another claimant', () => {
    expect(sender('sync-worker:a').claimant).not.toBe(sender('sync-worker:a').claimant);
  });
});
