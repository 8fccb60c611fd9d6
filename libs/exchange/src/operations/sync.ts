import {
  ChangeType,
  DateTime,
  ItemId,
  ItemSchema,
  ItemView,
  PropertySet,
  SearchFilter,
  SortDirection,
  SyncFolderItemsScope,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { ExchangeConnection } from '../connection/connection';
import { getMessages, ItemRef, Message } from './messages';

export interface SyncInboxResult {
  created: Message[];
  updated: ItemRef[];
  deleted: string[];
  /** Store this only after the changes are safely recorded; pass it to the next call. */
  newSyncState: string;
  moreAvailable: boolean;
}

/** ews-javascript-api types these as required; at runtime null means "none" / "start over". */
const NO_IGNORED = null as unknown as ItemId[];

/**
 * One page of inbox changes since `syncState` (null = from the beginning): SyncFolderItems IdOnly, then GetItem
 * in batches for the created items. Correct across pages: the new state is returned only when every created item
 * of this page has been read (any failure throws and the caller keeps its old state), items deleted between the
 * two calls are reported as deleted, and a page is never returned twice by Exchange for the state it gave.
 * An `ExchangeError` with code `cursor` means: drop the state and call again with null (full re-sync).
 */
export async function syncInbox(
  conn: ExchangeConnection,
  syncState: string | null,
  maxChanges = 512,
): Promise<SyncInboxResult> {
  const max = Math.min(512, Math.max(1, Math.floor(maxChanges)));
  const changes = await conn.run('syncInbox', (svc) =>
    svc.SyncFolderItems(
      conn.folder(WellKnownFolderName.Inbox),
      PropertySet.IdOnly,
      NO_IGNORED,
      max,
      SyncFolderItemsScope.NormalItems,
      syncState as string,
    ),
  );
  const createdIds: string[] = [];
  const updated: ItemRef[] = [];
  const deleted: string[] = [];
  for (const c of changes.GetEnumerator()) {
    const id = c.ItemId?.UniqueId ?? c.Item?.Id.UniqueId;
    if (!id) continue;
    switch (c.ChangeType) {
      case ChangeType.Create:
        createdIds.push(id);
        break;
      case ChangeType.Update:
      case ChangeType.ReadFlagChange:
        updated.push({ itemId: id, changeKey: c.ItemId?.ChangeKey ?? null });
        break;
      case ChangeType.Delete:
        deleted.push(id);
        break;
    }
  }
  const { messages, missing } = await getMessages(conn, createdIds, 'syncInbox');
  return {
    created: messages,
    updated,
    deleted: [...deleted, ...missing],
    newSyncState: changes.SyncState,
    moreAvailable: changes.MoreChangesAvailable,
  };
}

export interface FetchSinceResult {
  messages: Message[];
  /** Offset for the next page, or null when this was the last one. */
  nextOffset: number | null;
  totalCount: number;
}

/**
 * P-9 backfill: inbox messages received at or after `since`, oldest first, `pageSize` per call (FindItem IdOnly
 * with a DateTimeReceived restriction, then GetItem). Sorting oldest-first keeps offsets stable while new mail
 * arrives (it lands at the end); a message deleted meanwhile can shift the window, so callers dedupe by itemId
 * and InternetMessageId (they must anyway: a message is tracked exactly once).
 */
export async function fetchSince(
  conn: ExchangeConnection,
  since: Date,
  pageSize = 100,
  offset = 0,
): Promise<FetchSinceResult> {
  const view = new ItemView(
    Math.min(1000, Math.max(1, Math.floor(pageSize))),
    Math.max(0, Math.floor(offset)),
  );
  view.PropertySet = PropertySet.IdOnly;
  view.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Ascending);
  const filter = new SearchFilter.IsGreaterThanOrEqualTo(
    ItemSchema.DateTimeReceived,
    new DateTime(since.getTime()),
  );
  const found = await conn.run('fetchSince', (svc) =>
    svc.FindItems(conn.folder(WellKnownFolderName.Inbox), filter, view),
  );
  const ids = found.Items.map((i) => i.Id.UniqueId);
  const { messages } = await getMessages(conn, ids, 'fetchSince');
  return {
    messages,
    nextOffset: found.MoreAvailable ? (found.NextPageOffset ?? offset + ids.length) : null,
    totalCount: found.TotalCount,
  };
}
