import {
  DeleteMode,
  EmailMessage,
  Folder,
  FolderId,
  FolderSchema,
  FolderView,
  ItemId,
  MessageBody,
  BodyType,
  SearchFilter,
  WellKnownFolderName,
  EmailAddress,
  ServiceResult,
} from 'ews-javascript-api';
import { ExchangeConnection } from '../connection/connection';
import { ExchangeError } from '../errors/exchange-error';
import { normalizeExchangeError } from '../errors/normalize';
import { xmlEscape, xmlEscapeAddress } from '../xml/escape';

export const UNDELIVERABLE_FOLDER = 'Undeliverable';

/** M-6 incoming: GetFolder inbox — proves credentials, server location and (if used) impersonation. */
export async function testIncoming(conn: ExchangeConnection): Promise<void> {
  await conn.run('testIncoming', (svc) => Folder.Bind(svc, conn.folder(WellKnownFolderName.Inbox)));
}

/**
 * M-6 outgoing, without mailing anyone, in the two calls that prove it: create a draft from the mailbox in Drafts
 * (CreateItem of a message as the mailbox: the same write path and rights a send uses short of submission) and
 * hard-delete it. Sent Items, where SendAndSaveCopy files the copy, is a folder every mailbox has: binding it proved
 * nothing the draft does not. What this cannot prove without really sending: a transport-level refusal
 * (ErrorSendAsDenied for a delegate, submission quotas) — those surface on the first real send.
 */
export async function testOutgoing(conn: ExchangeConnection): Promise<void> {
  const draft = await conn.run('testOutgoing', async (svc) => {
    const m = new EmailMessage(svc);
    m.Subject = xmlEscape('ssync outgoing test (deleted immediately)');
    m.Body = new MessageBody(BodyType.Text, xmlEscape('This draft proves that ssync can create mail here.'));
    m.From = new EmailAddress(xmlEscapeAddress(conn.mailboxSmtp));
    m.ToRecipients.Add(xmlEscapeAddress(conn.mailboxSmtp));
    await m.Save(conn.folder(WellKnownFolderName.Drafts));
    return m.Id;
  });
  await conn.run('testOutgoing', (svc) =>
    svc.DeleteItems([draft], DeleteMode.HardDelete, null as never, null as never),
  );
}

/** M-6 appointments, contacts and tasks: GetFolder on each of the three folders. */
export async function testAct(conn: ExchangeConnection): Promise<void> {
  for (const f of [WellKnownFolderName.Calendar, WellKnownFolderName.Contacts, WellKnownFolderName.Tasks])
    await conn.run('testAct', (svc) => Folder.Bind(svc, conn.folder(f)));
}

/** The Undeliverable folder under the mailbox's root: found, else created (a concurrent creator is tolerated). */
export async function undeliverableFolderId(conn: ExchangeConnection): Promise<string> {
  const cached = conn.folderIds.get(UNDELIVERABLE_FOLDER);
  if (cached) return cached;
  const root = conn.folder(WellKnownFolderName.MsgFolderRoot);
  const find = async (): Promise<string | undefined> => {
    const r = await conn.run('moveToUndeliverable', (svc) =>
      svc.FindFolders(
        root,
        new SearchFilter.IsEqualTo(FolderSchema.DisplayName, xmlEscape(UNDELIVERABLE_FOLDER)),
        new FolderView(1),
      ),
    );
    return r.Folders[0]?.Id.UniqueId;
  };
  let id = await find();
  if (!id) {
    try {
      id = await conn.run('moveToUndeliverable', async (svc) => {
        const f = new Folder(svc);
        f.DisplayName = xmlEscape(UNDELIVERABLE_FOLDER);
        await f.Save(root);
        return f.Id.UniqueId;
      });
    } catch (e) {
      // Another worker created it between our find and create.
      if (e instanceof ExchangeError && e.ewsCode === 'ErrorFolderExists') id = await find();
      else throw e;
    }
  }
  if (!id)
    throw new ExchangeError({
      code: 'unknown',
      message: 'the Undeliverable folder could not be found or created',
      rawType: 'adapter',
      operation: 'moveToUndeliverable',
    });
  conn.folderIds.set(UNDELIVERABLE_FOLDER, id);
  return id;
}

/**
 * P-12 / S-2: move a message that could not be tracked into `Undeliverable` (created when missing, its id cached
 * per connection). Returns the moved item's new id (MoveItem gives items new ids). If the cached folder was
 * deleted by the user, looks it up again once.
 */
export async function moveToUndeliverable(conn: ExchangeConnection, itemId: string): Promise<string | null> {
  const move = async (folderId: string): Promise<string | null> => {
    const r = await conn.run('moveToUndeliverable', (svc) =>
      svc.MoveItems([new ItemId(itemId)], new FolderId(folderId), true),
    );
    const res = r.Responses[0];
    if (!res || res.Result !== ServiceResult.Success)
      throw normalizeExchangeError(res, { operation: 'moveToUndeliverable' });
    return res.Item?.Id.UniqueId ?? null;
  };
  const folderId = await undeliverableFolderId(conn);
  try {
    return await move(folderId);
  } catch (e) {
    const err = normalizeExchangeError(e, { operation: 'moveToUndeliverable' });
    if (err.code !== 'not-found' || err.ewsCode !== 'ErrorFolderNotFound') throw err;
    conn.folderIds.delete(UNDELIVERABLE_FOLDER);
    return move(await undeliverableFolderId(conn));
  }
}
