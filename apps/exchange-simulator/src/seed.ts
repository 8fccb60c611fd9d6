import { Store } from './store/store';

/** Demo data: a service account with impersonation over all mailboxes, three users with their own mailboxes. */
export const DEMO = {
  domain: 'CONTOSO',
  serviceAccount: { userName: 'svc-ssync', password: 'Passw0rd!' },
  users: [
    { userName: 'alice', password: 'Passw0rd!', smtp: 'alice@contoso.com', displayName: 'Alice Anders' },
    { userName: 'bob', password: 'Passw0rd!', smtp: 'bob@contoso.com', displayName: 'Bob Berg' },
    { userName: 'carol', password: 'Passw0rd!', smtp: 'carol@contoso.com', displayName: 'Carol Chen' },
  ],
} as const;

export function seedDemo(store: Store): void {
  store.createAccount({
    userName: DEMO.serviceAccount.userName,
    password: DEMO.serviceAccount.password,
    domain: DEMO.domain,
  });
  for (const u of DEMO.users) {
    store.createAccount({ userName: u.userName, password: u.password, domain: DEMO.domain });
    store.createMailbox({ smtpAddress: u.smtp, displayName: u.displayName, ownerUserName: u.userName });
  }
  store.grantImpersonation(DEMO.serviceAccount.userName, 'all');
  const day = 86_400_000;
  const now = Date.now();
  const samples = [
    ['Renewal quote for Fabrikam', 'Hi, please find the renewal quote attached. Best, Dan'],
    ['Kick-off meeting next week', 'Can we meet on Tuesday to plan the rollout?'],
    ['Invoice INV-2024-0042', 'Your invoice is due in 30 days.'],
    ['Support ticket #5531 resolved', 'The issue with the sync has been resolved.'],
  ] as const;
  DEMO.users.forEach((u, ui) => {
    samples.forEach(([subject, body], i) => {
      store.deliver({
        from: `Dan Park <dan.park@fabrikam.com>`,
        to: [u.smtp],
        subject,
        body: `<p>${body}</p>`,
        bodyType: 'HTML',
        receivedAt: new Date(now - (ui * 4 + i + 1) * day),
      });
    });
  });
}
