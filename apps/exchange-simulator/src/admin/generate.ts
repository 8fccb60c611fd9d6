import { Store } from '../store/store';

const WORDS =
  'quarterly report meeting budget invoice project update review proposal contract schedule delivery follow-up customer renewal pricing order support ticket roadmap'.split(
    ' ',
  );

export interface GenerateInput {
  /** Existing mailboxes to fill; or `mailboxCount` mailboxes named `${prefix}${i}@${domain}` (created if missing). */
  mailboxes?: string[];
  mailboxCount?: number;
  messagesPerMailbox?: number;
  prefix?: string;
  domain?: string;
  /** Also create an account per generated mailbox (password = `password`). */
  createAccounts?: boolean;
  password?: string;
  from?: string;
  bodySize?: number;
}

/** Bulk generator: N messages into each of M mailboxes, spread over the last 30 days. Deterministic content. */
export function generateMessages(
  store: Store,
  raw: Record<string, unknown>,
): { mailboxes: number; messages: number; ms: number } {
  const t0 = Date.now();
  const input = raw as GenerateInput;
  const per = Math.max(0, Math.min(100_000, Number(input.messagesPerMailbox ?? 10)));
  const domain = input.domain ?? 'contoso.com';
  const prefix = input.prefix ?? 'user';
  let targets: string[] = input.mailboxes ?? [];
  if (!targets.length) {
    const n = Math.max(0, Math.min(1_000_000, Number(input.mailboxCount ?? 1)));
    targets = Array.from({ length: n }, (_, i) => `${prefix}${i + 1}@${domain}`);
  }
  let messages = 0;
  const now = Date.now();
  const bodySize = Number(input.bodySize ?? 200);
  targets.forEach((smtp, mi) => {
    let mbx = store.mailbox(smtp);
    if (!mbx) {
      const user = smtp.split('@')[0] ?? smtp;
      if (input.createAccounts && !store.account(user))
        store.createAccount({ userName: user, password: input.password ?? 'Passw0rd!' });
      mbx = store.createMailbox({
        smtpAddress: smtp,
        displayName: user,
        ...(input.createAccounts ? { ownerUserName: user } : {}),
      });
    }
    for (let i = 0; i < per; i++) {
      const w = (k: number): string => WORDS[(mi * 7 + i * 3 + k) % WORDS.length] ?? 'note';
      const subject = `${w(0)} ${w(1)} ${w(2)} #${i + 1}`;
      const body = `<p>Hello ${mbx.displayName}, about the ${w(0)} ${w(3)}.</p>`.padEnd(bodySize, ' ');
      store.deliver({
        from: input.from ?? `sender${(i % 50) + 1}@fabrikam.com`,
        to: [mbx.smtp],
        subject,
        body,
        bodyType: 'HTML',
        receivedAt: new Date(now - ((per - i) * 30 * 86_400_000) / Math.max(per, 1)),
      });
      messages++;
    }
  });
  return { mailboxes: targets.length, messages, ms: Date.now() - t0 };
}
