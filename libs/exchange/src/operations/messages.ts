import {
  BasePropertySet,
  BodyType,
  EmailAddress,
  EmailAddressCollection,
  EmailMessage,
  EmailMessageSchema,
  Item,
  ItemId,
  ItemSchema,
  PropertySet,
  ServiceResult,
} from 'ews-javascript-api';
import { ExchangeConnection } from '../connection/connection';
import { normalizeExchangeError } from '../errors/normalize';

export interface Address {
  name: string | null;
  address: string;
}

/** An email as the sync workers need it (S-1): sender, recipients, subject, text body, times, Exchange ids. */
export interface Message {
  itemId: string;
  changeKey: string;
  internetMessageId: string | null;
  subject: string;
  /** Plain text (Exchange converts HTML bodies when asked for text). */
  body: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  dateTimeReceived: Date | null;
  dateTimeSent: Date | null;
  size: number | null;
}

export interface ItemRef {
  itemId: string;
  changeKey: string | null;
}

/** GetItem in batches of this many ids (one request each). */
export const GET_ITEM_BATCH = 50;

export function messagePropertySet(): PropertySet {
  const ps = new PropertySet(BasePropertySet.IdOnly, [
    ItemSchema.Subject,
    ItemSchema.Body,
    EmailMessageSchema.From,
    EmailMessageSchema.ToRecipients,
    EmailMessageSchema.CcRecipients,
    ItemSchema.DateTimeReceived,
    ItemSchema.DateTimeSent,
    EmailMessageSchema.InternetMessageId,
    ItemSchema.Size,
  ]);
  ps.RequestedBodyType = BodyType.Text;
  return ps;
}

/** A property the server did not return reads as absent, not as an exception. */
function opt<T>(read: () => T): T | undefined {
  try {
    const v = read();
    return v === null ? undefined : v;
  } catch {
    return undefined;
  }
}

function address(a: EmailAddress | null | undefined): Address | null {
  if (!a?.Address) return null;
  return { name: a.Name || null, address: a.Address };
}

function addresses(c: EmailAddressCollection | undefined): Address[] {
  if (!c) return [];
  return c.GetEnumerator().flatMap((a) => {
    const x = address(a);
    return x ? [x] : [];
  });
}

function date(d: { TotalMilliSeconds: number } | undefined): Date | null {
  if (!d) return null;
  const ms = d.TotalMilliSeconds;
  return Number.isFinite(ms) ? new Date(ms) : null;
}

export function toMessage(item: Item): Message {
  const m = item as EmailMessage;
  return {
    itemId: m.Id.UniqueId,
    changeKey: m.Id.ChangeKey,
    internetMessageId: opt(() => m.InternetMessageId) ?? null,
    subject: opt(() => m.Subject) ?? '',
    body: opt(() => m.Body?.Text) ?? '',
    from: address(opt(() => m.From)),
    to: addresses(opt(() => m.ToRecipients)),
    cc: addresses(opt(() => m.CcRecipients)),
    dateTimeReceived: date(opt(() => m.DateTimeReceived)),
    dateTimeSent: date(opt(() => m.DateTimeSent)),
    size: opt(() => m.Size) ?? null,
  };
}

/**
 * GetItem for these ids in batches. Items deleted meanwhile (ErrorItemNotFound) are returned in `missing`;
 * any other per-item error fails the whole call (so a sync state is never advanced past an unread item).
 */
export async function getMessages(
  conn: ExchangeConnection,
  ids: readonly string[],
  operation: string,
  batchSize = GET_ITEM_BATCH,
): Promise<{ messages: Message[]; missing: string[] }> {
  const messages: Message[] = [];
  const missing: string[] = [];
  const props = messagePropertySet();
  for (let i = 0; i < ids.length; i += batchSize) {
    const batch = ids.slice(i, i + batchSize);
    const responses = await conn.run(operation, (svc) =>
      svc.BindToItems(
        batch.map((id) => new ItemId(id)),
        props,
      ),
    );
    responses.Responses.forEach((r, j) => {
      if (r.Result === ServiceResult.Success && r.Item) {
        messages.push(toMessage(r.Item));
        return;
      }
      const err = normalizeExchangeError(r, { operation });
      if (err.code === 'not-found') missing.push(batch[j] as string);
      else throw err;
    });
  }
  return { messages, missing };
}
