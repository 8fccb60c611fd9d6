import {
  BasePropertySet,
  BodyType,
  DefaultExtendedPropertySet,
  EmailAddress,
  EmailMessage,
  EmailMessageSchema,
  ExtendedPropertyDefinition,
  ItemView,
  LogicalOperator,
  MapiPropertyType,
  MessageBody,
  PropertySet,
  SearchFilter,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { CallNotStartedError, ExchangeConnection } from '../connection/connection';
import { xmlEscape, xmlEscapeAddress } from '../xml/escape';

/** Named property carrying the CRM's id for an outgoing email: how a retry finds what an earlier attempt sent. */
export const CLIENT_MESSAGE_ID = new ExtendedPropertyDefinition(
  DefaultExtendedPropertySet.PublicStrings,
  'SsyncClientMessageId',
  MapiPropertyType.String,
);
/** PR_INTERNET_MESSAGE_ID: EWS exposes InternetMessageId read-only, but Exchange honours it set on creation. */
export const PR_INTERNET_MESSAGE_ID = new ExtendedPropertyDefinition(0x1035, MapiPropertyType.String);

const CLIENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface SendMailInput {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  body: string;
  bodyType: 'Text' | 'HTML';
  /** Stable per CRM email activity (e.g. its id): the same id is never sent twice. [A-Za-z0-9._-], ≤128. */
  clientMessageId: string;
}

export interface SentMessage {
  /** True when an earlier attempt had already sent it (nothing was sent now). */
  alreadySent: boolean;
  /** The copy in Sent Items; null if Exchange has not filed it yet (submission is asynchronous on real servers). */
  itemId: string | null;
  changeKey: string | null;
  internetMessageId: string | null;
}

/** The Internet Message-ID we give a message: stable per clientMessageId, so the recipients' copies carry it too. */
export function internetMessageIdFor(clientMessageId: string, mailboxSmtp: string): string {
  const domain = mailboxSmtp.slice(mailboxSmtp.lastIndexOf('@') + 1) || 'ssync.invalid';
  return `<ssync.${clientMessageId}@${domain}>`;
}

function checkClientId(id: string): void {
  if (!CLIENT_ID_RE.test(id))
    throw new TypeError('clientMessageId must be 1–128 characters of [A-Za-z0-9._-], starting alphanumeric');
}

/**
 * Looks for a message this mailbox already sent for `clientMessageId` (Sent Items, then Outbox where a
 * submitted message waits on a real server). One FindItem per folder.
 */
export async function findSentByClientId(
  conn: ExchangeConnection,
  clientMessageId: string,
  folders: WellKnownFolderName[] = [WellKnownFolderName.SentItems, WellKnownFolderName.Outbox],
): Promise<Omit<SentMessage, 'alreadySent'> | null> {
  checkClientId(clientMessageId);
  const imid = internetMessageIdFor(clientMessageId, conn.mailboxSmtp);
  const filter = new SearchFilter.SearchFilterCollection(LogicalOperator.Or, [
    new SearchFilter.IsEqualTo(CLIENT_MESSAGE_ID, xmlEscape(clientMessageId)),
    new SearchFilter.IsEqualTo(EmailMessageSchema.InternetMessageId, xmlEscape(imid)),
  ]);
  const view = new ItemView(1);
  view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [EmailMessageSchema.InternetMessageId]);
  for (const folder of folders) {
    const found = await conn.run('findSentByClientId', (svc) =>
      svc.FindItems(conn.folder(folder), filter, view),
    );
    const item = found.Items[0];
    if (item) {
      let internetMessageId: string | null = null;
      try {
        internetMessageId = (item as EmailMessage).InternetMessageId || null;
      } catch {
        internetMessageId = null;
      }
      return { itemId: item.Id.UniqueId, changeKey: item.Id.ChangeKey, internetMessageId };
    }
  }
  return null;
}

export interface SendMailOptions {
  /** How often to look for the Sent Items copy after sending (real Exchange files it asynchronously). Default 3. */
  findCopyAttempts?: number;
  findCopyDelayMs?: number;
}

/**
 * S-3, exactly once: look for an earlier send of this clientMessageId first; otherwise CreateItem
 * SendAndSaveCopy with the id in a named property and as the Internet Message-ID, then find the Sent Items copy
 * (SendAndSaveCopy answers with an empty Items element). Subject, body and addresses are XML-escaped here.
 * Remaining window: a crash between Exchange accepting the send and filing the copy, with the retry arriving
 * before the copy exists, would send twice — the Outbox check narrows it to Exchange's submission latency.
 */
export async function sendMail(
  conn: ExchangeConnection,
  input: SendMailInput,
  opts: SendMailOptions = {},
): Promise<SentMessage> {
  checkClientId(input.clientMessageId);
  if (!input.to.length && !input.cc?.length && !input.bcc?.length)
    throw new TypeError('sendMail needs at least one recipient');
  const earlier = await findSentByClientId(conn, input.clientMessageId);
  if (earlier) return { alreadySent: true, ...earlier };

  const imid = internetMessageIdFor(input.clientMessageId, conn.mailboxSmtp);
  await conn.run('sendMail', async (svc) => {
    const m = new EmailMessage(svc);
    m.Subject = xmlEscape(input.subject);
    m.Body = new MessageBody(
      input.bodyType === 'HTML' ? BodyType.HTML : BodyType.Text,
      xmlEscape(input.body),
    );
    m.From = new EmailAddress(xmlEscapeAddress(conn.mailboxSmtp));
    for (const a of input.to) m.ToRecipients.Add(xmlEscapeAddress(a));
    for (const a of input.cc ?? []) m.CcRecipients.Add(xmlEscapeAddress(a));
    for (const a of input.bcc ?? []) m.BccRecipients.Add(xmlEscapeAddress(a));
    m.SetExtendedProperty(CLIENT_MESSAGE_ID, input.clientMessageId);
    m.SetExtendedProperty(PR_INTERNET_MESSAGE_ID, xmlEscape(imid));
    await m.SendAndSaveCopy(conn.folder(WellKnownFolderName.SentItems));
  });

  const attempts = Math.max(1, opts.findCopyAttempts ?? 3);
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, opts.findCopyDelayMs ?? 500));
    let copy: Awaited<ReturnType<typeof findSentByClientId>>;
    try {
      copy = await findSentByClientId(conn, input.clientMessageId, [WellKnownFolderName.SentItems]);
    } catch (error) {
      // Sent already: a lookup the connection's guard did not let start only loses the copy's ids.
      if (error instanceof CallNotStartedError) break;
      throw error;
    }
    if (copy) return { alreadySent: false, ...copy };
  }
  return { alreadySent: false, itemId: null, changeKey: null, internetMessageId: imid };
}
