import { startSimulator, SimulatorConfig, SimulatorHandle } from '../../../apps/exchange-simulator/src';
import { ConnectionSpec, ExchangeClientFactory, ExchangeConnection } from '../src';

export const PASSWORD = 'Pa$$w0rd & <co> "ü"';

/** alice, bob (own mailboxes), carol (mailbox only), svc (impersonation over all), limited (only bob). */
export async function startTestSimulator(config: SimulatorConfig = {}): Promise<SimulatorHandle> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', ...config });
  const a = sim.admin;
  for (const u of ['alice', 'bob', 'svc', 'limited'])
    a.createAccount({ userName: u, password: PASSWORD, domain: 'CONTOSO' });
  a.createMailbox({ smtpAddress: 'alice@contoso.com', displayName: 'Alice Anders', ownerUserName: 'alice' });
  a.createMailbox({ smtpAddress: 'bob@contoso.com', displayName: 'Bob Berg', ownerUserName: 'bob' });
  a.createMailbox({ smtpAddress: 'carol@contoso.com', displayName: 'Carol Chen' });
  a.grantImpersonation({ userName: 'svc', mailboxes: 'all' });
  a.grantImpersonation({ userName: 'limited', mailboxes: ['bob@contoso.com'] });
  return sim;
}

export type Mode = {
  label: string;
  kind: 'basic' | 'ntlm' | 'auto' | 'negotiate';
  user: string;
  impersonate: boolean;
};

/** A spec for `mailbox` in the given mode: own credentials, or svc impersonating it. */
export function spec(
  sim: SimulatorHandle,
  mode: Mode,
  mailbox: string,
  extra: Partial<ConnectionSpec> = {},
): ConnectionSpec {
  const user = mode.impersonate ? mode.user : (mailbox.split('@')[0] ?? '');
  return {
    ewsUrl: sim.ewsUrl,
    auth: { kind: mode.kind, userName: user, password: PASSWORD, domain: 'CONTOSO' },
    mailboxSmtp: mailbox,
    timeoutMs: 10_000,
    ...(mode.impersonate ? { impersonate: { smtpAddress: mailbox } } : {}),
    ...extra,
  } as ConnectionSpec;
}

export async function connect(
  factory: ExchangeClientFactory,
  sim: SimulatorHandle,
  mode: Mode,
  mailbox: string,
  extra: Partial<ConnectionSpec> = {},
): Promise<ExchangeConnection> {
  return factory.connect(spec(sim, mode, mailbox, extra));
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** A local port nobody listens on (fetch refuses some well-known ports such as 1 outright). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
