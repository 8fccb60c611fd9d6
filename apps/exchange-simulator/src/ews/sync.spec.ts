import { Store } from '../store/store';
import { changesSince, decodeSyncState, encodeSyncState } from './sync';

function setup(): {
  store: Store;
  inbox: NonNullable<ReturnType<Store['folder']>>;
  mbx: NonNullable<ReturnType<Store['mailbox']>>;
} {
  const store = new Store('secret');
  const mbx = store.createMailbox({ smtpAddress: 'a@contoso.com' });
  const inbox = store.distinguished(mbx, 'inbox');
  if (!inbox) throw new Error('inbox');
  return { store, inbox, mbx };
}
const items = (s: Store, f: { itemIds: Set<string> }): ReturnType<Store['item']>[] =>
  [...f.itemIds].map((i) => s.item(i));

describe('sync state', () => {
  it('round-trips and rejects tampering, other secrets and garbage', () => {
    const s = encodeSyncState({ folderId: 'F1', seq: 42 }, 'k');
    expect(decodeSyncState(s, 'k')).toEqual({ folderId: 'F1', seq: 42 });
    expect(decodeSyncState(s, 'other')).toBeUndefined();
    expect(decodeSyncState(Buffer.from('SIM1|F1|43|xxxx').toString('base64'), 'k')).toBeUndefined();
    expect(decodeSyncState('H4sIAAAAAAAEAGNgYGBkYGBkA=', 'k')).toBeUndefined();
  });
});

describe('changesSince', () => {
  it('reports each change exactly once across pages, classifies create/update/read/delete', () => {
    const { store, inbox } = setup();
    const delivered = Array.from(
      { length: 5 },
      (_, i) => store.deliver({ from: 'x@y', to: ['a@contoso.com'], subject: `m${i}` })[0],
    );
    let since = 0;
    const seen: string[] = [];
    for (;;) {
      const r = changesSince(inbox, items(store, inbox).filter((x) => !!x) as never, since, 2);
      for (const c of r.changes) seen.push(`${c.type}:${c.type === 'Delete' ? c.itemId : c.item.id}`);
      since = r.watermark;
      if (!r.more) break;
    }
    expect(seen).toEqual(delivered.map((d) => `Create:${d?.id}`));
    const [a, b, c] = delivered;
    if (!a || !b || !c) throw new Error('items');
    store.updateItem(a, (x) => (x.f.IsRead = true), true);
    store.updateItem(b, (x) => (x.f.Subject = 'changed'));
    store.deleteItem(c);
    const fresh = store.deliver({ from: 'x@y', to: ['a@contoso.com'], subject: 'new' })[0];
    const gone = store.deliver({ from: 'x@y', to: ['a@contoso.com'], subject: 'short-lived' })[0];
    if (gone) store.deleteItem(gone);
    const r = changesSince(inbox, items(store, inbox).filter((x) => !!x) as never, since, 512);
    expect(r.changes.map((x) => `${x.type}:${x.type === 'Delete' ? x.itemId : x.item.id}`)).toEqual([
      `ReadFlagChange:${a.id}`,
      `Update:${b.id}`,
      `Delete:${c.id}`,
      `Create:${fresh?.id}`,
    ]);
    const after = changesSince(inbox, items(store, inbox).filter((x) => !!x) as never, r.watermark, 512);
    expect(after.changes).toEqual([]);
  });
});
