import { randomBytes } from 'node:crypto';
import { Store, StoreEvent } from '../store/store';
import { Mailbox, changeKey } from '../store/model';
import { tag, txt } from '../xml/xml';
import { SubscriptionRegistry } from './operations';

const EVENT_NAME: Record<StoreEvent['type'], string> = {
  NewMail: 'NewMailEvent',
  Created: 'CreatedEvent',
  Modified: 'ModifiedEvent',
  Deleted: 'DeletedEvent',
  Moved: 'MovedEvent',
};

export interface Subscription {
  id: string;
  mailbox: string;
  owner: string;
  folders: Set<string> | 'all';
  types: Set<string>;
  queue: StoreEvent[];
  wake?: () => void;
  lastUsed: number;
}

/** Streaming subscriptions: events from the store are queued per subscription until a GetStreamingEvents drains them. */
export class Subscriptions implements SubscriptionRegistry {
  readonly subs = new Map<string, Subscription>();
  private unlisten: () => void;

  constructor(
    private store: Store,
    private idleTimeoutMs = 30 * 60_000,
  ) {
    this.unlisten = store.onEvent((e) => this.dispatch(e));
  }

  create(mailbox: Mailbox, folders: Set<string> | 'all', types: Set<string>, owner: string): string {
    this.gc();
    const id = Buffer.concat([Buffer.from([0x16, 0x00]), randomBytes(18)]).toString('base64');
    this.subs.set(id, { id, mailbox: mailbox.key, owner, folders, types, queue: [], lastUsed: Date.now() });
    return id;
  }

  get(id: string): Subscription | undefined {
    return this.subs.get(id);
  }

  private dispatch(e: StoreEvent): void {
    const name = EVENT_NAME[e.type];
    for (const s of this.subs.values()) {
      if (s.mailbox !== e.mailbox || !s.types.has(name)) continue;
      if (
        s.folders !== 'all' &&
        !s.folders.has(e.parentFolderId) &&
        !(e.oldParentFolderId && s.folders.has(e.oldParentFolderId))
      )
        continue;
      s.queue.push(e);
      if (s.queue.length > 10_000) s.queue.shift();
      s.wake?.();
    }
  }

  private gc(): void {
    const now = Date.now();
    for (const [id, s] of this.subs)
      if (!s.wake && now - s.lastUsed > this.idleTimeoutMs) this.subs.delete(id);
  }

  close(): void {
    this.unlisten();
    for (const s of this.subs.values()) s.wake = undefined;
    this.subs.clear();
  }
}

export function eventXml(e: StoreEvent): string {
  const name = EVENT_NAME[e.type];
  const target = e.itemId
    ? tag('t:ItemId', { Id: e.itemId, ChangeKey: changeKey('I', 1) })
    : tag('t:FolderId', { Id: e.folderId ?? '', ChangeKey: changeKey('F', 1) });
  let inner = `${txt('t:TimeStamp', e.timestamp)}${target}${tag('t:ParentFolderId', { Id: e.parentFolderId, ChangeKey: changeKey('F', 1) })}`;
  if (e.type === 'Moved') {
    inner += e.oldItemId
      ? tag('t:OldItemId', { Id: e.oldItemId, ChangeKey: changeKey('I', 1) })
      : tag('t:OldFolderId', { Id: e.folderId ?? '', ChangeKey: changeKey('F', 1) });
    inner += tag('t:OldParentFolderId', { Id: e.oldParentFolderId ?? '', ChangeKey: changeKey('F', 1) });
  }
  return `<t:${name}>${inner}</t:${name}>`;
}
