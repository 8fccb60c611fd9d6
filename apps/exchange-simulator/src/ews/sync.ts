import { createHmac } from 'node:crypto';
import { Folder, Item } from '../store/model';

/**
 * SyncFolderItems state: the folder, and the mailbox change sequence the client has seen up to (a watermark).
 * Opaque to clients (base64), HMAC-signed so a forged or foreign state is rejected with ErrorInvalidSyncStateData.
 */
export interface SyncState {
  folderId: string;
  seq: number;
}

export function encodeSyncState(s: SyncState, secret: string): string {
  const body = `${s.folderId}|${s.seq}`;
  const mac = createHmac('sha256', secret).update(body).digest('base64').slice(0, 16);
  return Buffer.from(`SIM1|${body}|${mac}`).toString('base64');
}

export function decodeSyncState(raw: string, secret: string): SyncState | undefined {
  const text = Buffer.from(raw.trim(), 'base64').toString('utf8');
  const parts = text.split('|');
  if (parts.length !== 4 || parts[0] !== 'SIM1') return undefined;
  const [, folderId, seqStr, mac] = parts as [string, string, string, string];
  const expect = createHmac('sha256', secret).update(`${folderId}|${seqStr}`).digest('base64').slice(0, 16);
  if (mac !== expect) return undefined;
  const seq = Number(seqStr);
  if (!Number.isInteger(seq) || seq < 0) return undefined;
  return { folderId, seq };
}

export type Change =
  | { type: 'Create' | 'Update'; item: Item; key: number }
  | { type: 'ReadFlagChange'; item: Item; key: number }
  | { type: 'Delete'; itemId: string; version: number; key: number };

/**
 * Changes in a folder since watermark `since`, oldest first, at most `max`. Each change carries the sequence
 * number that produced it; the new watermark is the key of the last change returned, so a change is reported
 * exactly once across pages: an item created after the watermark is a Create (with its current content), an
 * older item modified after it an Update (or a ReadFlagChange if only IsRead changed), an item the client knew
 * that left the folder a Delete. Items created and removed between two calls are never reported.
 */
export function changesSince(
  folder: Folder,
  items: Iterable<Item>,
  since: number,
  max: number,
  ignore: Set<string> = new Set(),
): { changes: Change[]; watermark: number; more: boolean } {
  const all: Change[] = [];
  for (const it of items) {
    if (ignore.has(it.id)) continue;
    if (it.addedSeq > since) all.push({ type: 'Create', item: it, key: it.addedSeq });
    else if (it.modSeq > since) all.push({ type: 'Update', item: it, key: it.modSeq });
    else if (it.readSeq > since) all.push({ type: 'ReadFlagChange', item: it, key: it.readSeq });
  }
  for (const t of folder.tombstones) {
    if (t.removedSeq > since && t.addedSeq <= since)
      all.push({ type: 'Delete', itemId: t.itemId, version: t.version, key: t.removedSeq });
  }
  all.sort((a, b) => a.key - b.key);
  const changes = all.slice(0, Math.max(1, max));
  const last = changes[changes.length - 1];
  return { changes, watermark: last ? last.key : since, more: changes.length < all.length };
}
