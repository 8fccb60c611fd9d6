/**
 * The demo the one start command sets up (issue #5 item 9): the seed page followed through the API against the
 * Exchange simulator's demo data — a profile with impersonation, the organization defaults, three user mailboxes,
 * Approve Email, Apply Default Email Settings (which requests Test & Enable) — then a trickle of new mail.
 * Idempotent: a restart finds what exists and carries on.
 */
const USERS = [
  { name: 'Alice Anders', email: 'alice@contoso.com', ownerId: 'alice' },
  { name: 'Bob Berg', email: 'bob@contoso.com', ownerId: 'bob' },
  { name: 'Carol Chen', email: 'carol@contoso.com', ownerId: 'carol' },
];
const SUBJECTS = [
  'Quote request',
  'Meeting notes',
  'Order confirmation',
  'Question about invoice',
  'Partnership proposal',
  'Support case update',
];

export interface DemoOptions {
  apiUrl: string;
  token: string;
  simulatorUrl: string;
  log(line: string): void;
}

async function api<T = Record<string, unknown>>(
  o: DemoOptions,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${o.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}`, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function waitJob(o: DemoOptions, jobId: string): Promise<void> {
  for (let i = 0; i < 240; i += 1) {
    const res = await api<{ status?: string }>(o, 'GET', `/api/v1/jobs/${jobId}`);
    if (res.body.status === 'Completed' || res.body.status === 'Failed') return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function seedDemo(o: DemoOptions): Promise<{ profileId: string; mailboxIds: string[] }> {
  const ews = `${o.simulatorUrl}/EWS/Exchange.asmx`;
  const profile = await api<{ id: string }>(
    o,
    'POST',
    '/api/v1/email-server-profiles',
    {
      name: 'Contoso Exchange (simulator)',
      description:
        'Demo profile: the Exchange simulator, a service account with impersonation over every mailbox',
      autoDiscoverServerLocation: false,
      incomingServerLocation: ews,
      outgoingServerLocation: ews,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-ssync',
      password: 'Passw0rd!',
      incomingAuthenticationProtocol: 'NTLM',
      // P-9: a week back, so the newly associated mailboxes pull their recent mail.
      processEmailFrom: new Date(Date.now() - 7 * 86_400_000).toISOString(),
      minimumPollingIntervalMinutes: 0,
      maxConcurrentConnections: 10,
      moveFailedEmailsToUndeliverableFolder: true,
    },
    { 'Idempotency-Key': 'ssync-demo-profile' },
  );
  if (profile.status >= 300)
    throw new Error(`demo profile: ${profile.status} ${JSON.stringify(profile.body)}`);
  const sss = {
    incomingEmailDeliveryMethod: 'ServerSideSync',
    outgoingEmailDeliveryMethod: 'ServerSideSync',
    actDeliveryMethod: 'ServerSideSync',
  };
  await api(o, 'PUT', '/api/v1/organization/email-settings', {
    defaultServerProfileId: profile.body.id,
    ...sss,
  });
  const mailboxIds: string[] = [];
  for (const u of USERS) {
    const found = await api<{ items: { id: string; emailAddress: string }[] }>(
      o,
      'GET',
      `/api/v1/mailboxes?q=${encodeURIComponent(u.email)}`,
    );
    const existing = found.body.items?.find((m) => m.emailAddress === u.email);
    if (existing) {
      mailboxIds.push(existing.id);
      continue;
    }
    const created = await api<{ id: string }>(o, 'POST', '/api/v1/mailboxes', {
      kind: 'User',
      name: u.name,
      emailAddress: u.email,
      ownerId: u.ownerId,
    });
    if (created.status >= 300)
      throw new Error(`demo mailbox ${u.email}: ${created.status} ${JSON.stringify(created.body)}`);
    mailboxIds.push(created.body.id);
  }
  for (const step of ['approve-email', 'apply-default-settings']) {
    const started = await api<{ jobId: string }>(o, 'POST', `/api/v1/mailboxes/${step}`, { mailboxIds });
    if (started.status === 202) await waitJob(o, started.body.jobId);
    else o.log(`demo: ${step} answered ${started.status}`);
  }
  o.log(
    `demo: profile ${profile.body.id}, mailboxes ${mailboxIds.join(', ')} approved and sent to Test & Enable`,
  );
  return { profileId: profile.body.id, mailboxIds };
}

/** New mail arriving in the demo mailboxes every `everyMs`, until the returned stop function is called. */
export function startMailFlow(o: DemoOptions, everyMs = 15000): () => void {
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    const to = USERS[n % USERS.length]!.email;
    const subject = `${SUBJECTS[n % SUBJECTS.length]} #${n}`;
    void fetch(`${o.simulatorUrl}/admin/v1/mailboxes/${encodeURIComponent(to)}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: 'Dan Park <dan.park@fabrikam.com>',
        to: [to],
        subject,
        body: `Demo message ${n} for ${to}.`,
        bodyType: 'Text',
      }),
    }).catch(() => undefined);
  }, everyMs);
  return () => clearInterval(timer);
}
