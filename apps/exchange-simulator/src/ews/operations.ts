import { El, tag, txt } from '../xml/xml';
import { Store, StoreError, toMbx } from '../store/store';
import {
  Account,
  Body,
  DictEntry,
  AddrEntry,
  ExtProp,
  FieldValue,
  Folder,
  Item,
  ItemKind,
  Mailbox,
  Mbx,
  changeKey,
} from '../store/model';
import {
  FIELD_BY_URI,
  ItemShape,
  extKey,
  extPropXml,
  extUriAttrs,
  fieldByEl,
  itemXml,
  parseBool,
  parseExtProp,
  parseFieldValue,
  parseItemElement,
  parseShape,
} from './fields';
import { EwsError, errorMessage, opResponse, successMessage } from './soap';
import { RestrictionError, compileFolderRestriction, compileRestriction } from './restriction';
import { changesSince, decodeSyncState, encodeSyncState } from './sync';

/** Who is calling and on whose behalf. */
export interface EwsContext {
  store: Store;
  account: Account;
  /** The mailbox the request acts on: the impersonated one, or the caller's own (if it has one). */
  mailbox?: Mailbox;
  impersonating: boolean;
  /** Hook used by SyncFolderItems when an invalid-sync-state fault is injected. */
  forceInvalidSyncState?: boolean;
  subscriptions: SubscriptionRegistry;
  findCountLimit: number;
}

export interface SubscriptionRegistry {
  create(mailbox: Mailbox, folderIds: Set<string> | 'all', eventTypes: Set<string>, owner: string): string;
}

type Handler = (ctx: EwsContext, req: El) => string;

// ---------------- id resolution and access ----------------

function canAccess(ctx: EwsContext, mbx: Mailbox): boolean {
  if (ctx.mailbox && mbx.key === ctx.mailbox.key) return true;
  return !ctx.impersonating && mbx.owner === ctx.account.userName.toLowerCase();
}

function resolveFolder(ctx: EwsContext, el: El | undefined): Folder {
  if (!el) throw new EwsError('ErrorInvalidRequest', 'A folder id is required.');
  if (el.local === 'DistinguishedFolderId') {
    let mbx = ctx.mailbox;
    const explicit = el.path('Mailbox', 'EmailAddress')?.text.trim();
    if (explicit) {
      mbx = ctx.store.mailbox(explicit);
      if (!mbx)
        throw new EwsError('ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it.`);
    }
    if (!mbx)
      throw new EwsError('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.');
    if (!canAccess(ctx, mbx))
      throw new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    const f = ctx.store.distinguished(mbx, el.attr('Id') ?? '');
    if (!f)
      throw new EwsError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
    return f;
  }
  if (el.local === 'FolderId') {
    const f = ctx.store.folder(el.attr('Id') ?? '');
    if (!f)
      throw new EwsError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
    const mbx = ctx.store.mailbox(f.mailbox);
    if (!mbx || !canAccess(ctx, mbx))
      throw new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    return f;
  }
  throw new EwsError('ErrorInvalidRequest', `Folder id type ${el.local} is not supported.`);
}

function resolveItem(ctx: EwsContext, el: El): Item {
  const id = el.attr('Id') ?? el.attr('RecurringMasterId') ?? '';
  const it = ctx.store.item(id);
  if (!it) throw new EwsError('ErrorItemNotFound', 'The specified object was not found in the store.');
  const mbx = ctx.store.mailbox(it.mailbox);
  if (!mbx || !canAccess(ctx, mbx))
    throw new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  return it;
}

function mailboxOf(ctx: EwsContext, f: Folder): Mailbox {
  const m = ctx.store.mailbox(f.mailbox);
  if (!m) throw new EwsError('ErrorNonExistentMailbox', 'Mailbox not found');
  return m;
}

/** Run per-id work, turning EwsErrors into error response messages. */
function each<T>(op: string, list: T[], fn: (x: T) => string): string {
  return list
    .map((x) => {
      try {
        return fn(x);
      } catch (e) {
        if (e instanceof EwsError) return errorMessage(op, e.code, e.message, e.messageXml);
        if (e instanceof StoreError)
          return errorMessage(op, e.code.startsWith('Error') ? e.code : 'ErrorInvalidRequest', e.message);
        if (e instanceof RestrictionError) return errorMessage(op, 'ErrorInvalidRestriction', e.message);
        throw e;
      }
    })
    .join('');
}

// ---------------- folders ----------------

function folderElement(f: Folder): string {
  if (f.folderClass.startsWith('IPF.Appointment')) return 'CalendarFolder';
  if (f.folderClass.startsWith('IPF.Contact')) return 'ContactsFolder';
  if (f.folderClass.startsWith('IPF.Task')) return 'TasksFolder';
  return 'Folder';
}

interface FolderShape {
  base: string;
  uris: Set<string>;
  ext: string[];
}
function parseFolderShape(el: El | undefined): FolderShape {
  const s: FolderShape = { base: el?.childText('BaseShape')?.trim() ?? 'Default', uris: new Set(), ext: [] };
  for (const p of el?.child('AdditionalProperties')?.children ?? []) {
    if (p.local === 'ExtendedFieldURI') s.ext.push(extKey(extUriAttrs(p)));
    else {
      const u = p.attr('FieldURI');
      if (u) s.uris.add(u);
    }
  }
  return s;
}

function folderXml(ctx: EwsContext, f: Folder, shape: FolderShape): string {
  const name = folderElement(f);
  const all = shape.base === 'AllProperties';
  const dflt = shape.base === 'Default' || all;
  const want = (uri: string, inDefault: boolean): boolean => shape.uris.has(uri) || (inDefault ? dflt : all);
  let out = tag('t:FolderId', { Id: f.id, ChangeKey: changeKey('F', f.version) });
  if (want('folder:ParentFolderId', false) && f.parentId)
    out += tag('t:ParentFolderId', { Id: f.parentId, ChangeKey: changeKey('F', 1) });
  if (want('folder:FolderClass', false) && f.folderClass) out += txt('t:FolderClass', f.folderClass);
  if (want('folder:DisplayName', true)) out += txt('t:DisplayName', f.displayName);
  if (want('folder:TotalCount', true)) out += txt('t:TotalCount', f.itemIds.size);
  if (want('folder:ChildFolderCount', true))
    out += txt('t:ChildFolderCount', ctx.store.childFolders(f).length);
  for (const k of shape.ext) {
    const p = f.ext.find((e) => e.key === k);
    if (p) out += extPropXml(p);
  }
  if ((name === 'Folder' || name === 'TasksFolder') && want('folder:UnreadCount', true))
    out += txt('t:UnreadCount', ctx.store.unreadCount(f));
  return `<t:${name}>${out}</t:${name}>`;
}

const getFolder: Handler = (ctx, req) => {
  const shape = parseFolderShape(req.child('FolderShape'));
  const ids = req.child('FolderIds')?.children ?? [];
  return opResponse(
    'GetFolder',
    each('GetFolder', ids, (idEl) => {
      const f = resolveFolder(ctx, idEl);
      return successMessage('GetFolder', `<m:Folders>${folderXml(ctx, f, shape)}</m:Folders>`);
    }),
  );
};

function paging(
  view: El | undefined,
  total: number,
  limit: number,
): { offset: number; count: number; nextOffset: number; last: boolean } {
  if (!view) {
    const count = Math.min(total, limit);
    return { offset: 0, count, nextOffset: count, last: count >= total };
  }
  const max = Math.min(Number(view.attr('MaxEntriesReturned') ?? limit) || limit, limit);
  let offset: number;
  if (view.local.startsWith('FractionalPage')) {
    const num = Number(view.attr('Numerator') ?? 0);
    const den = Number(view.attr('Denominator') ?? 1) || 1;
    offset = Math.floor((total * num) / den);
  } else {
    const o = Number(view.attr('Offset') ?? 0);
    offset = view.attr('BasePoint') === 'End' ? Math.max(0, total - o - max) : o;
  }
  offset = Math.max(0, Math.min(offset, total));
  const count = Math.max(0, Math.min(max, total - offset));
  return { offset, count, nextOffset: offset + count, last: offset + count >= total };
}

const findFolder: Handler = (ctx, req) => {
  const shape = parseFolderShape(req.child('FolderShape'));
  const deep = req.attr('Traversal') === 'Deep';
  const view = req.child('IndexedPageFolderView') ?? req.child('FractionalPageFolderView');
  const pred = compileFolderRestriction(req.child('Restriction'), (f) => ctx.store.unreadCount(f));
  const parents = req.child('ParentFolderIds')?.children ?? [];
  return opResponse(
    'FindFolder',
    each('FindFolder', parents, (pEl) => {
      const parent = resolveFolder(ctx, pEl);
      const found: Folder[] = [];
      const walk = (f: Folder): void => {
        for (const c of ctx.store.childFolders(f)) {
          found.push(c);
          if (deep) walk(c);
        }
      };
      walk(parent);
      const matching = found.filter(pred);
      const p = paging(view, matching.length, ctx.findCountLimit);
      const page = matching.slice(p.offset, p.offset + p.count);
      return successMessage(
        'FindFolder',
        `<m:RootFolder IndexedPagingOffset="${p.nextOffset}" TotalItemsInView="${matching.length}" IncludesLastItemInRange="${p.last}"><t:Folders>${page.map((f) => folderXml(ctx, f, shape)).join('')}</t:Folders></m:RootFolder>`,
      );
    }),
  );
};

const createFolder: Handler = (ctx, req) => {
  let parent: Folder;
  try {
    parent = resolveFolder(ctx, req.child('ParentFolderId')?.first());
  } catch (e) {
    if (!(e instanceof EwsError)) throw e;
    const n = req.child('Folders')?.children.length ?? 1;
    return opResponse(
      'CreateFolder',
      Array.from({ length: n }, () => errorMessage('CreateFolder', e.code, e.message)).join(''),
    );
  }
  const mbx = mailboxOf(ctx, parent);
  const folders = req.child('Folders')?.children ?? [];
  return opResponse(
    'CreateFolder',
    each('CreateFolder', folders, (fEl) => {
      const displayName = fEl.childText('DisplayName') ?? '';
      if (!displayName.trim()) throw new EwsError('ErrorInvalidRequest', 'DisplayName is required.');
      const defaultClass =
        fEl.local === 'CalendarFolder'
          ? 'IPF.Appointment'
          : fEl.local === 'ContactsFolder'
            ? 'IPF.Contact'
            : fEl.local === 'TasksFolder'
              ? 'IPF.Task'
              : 'IPF.Note';
      const ext = fEl
        .all('ExtendedProperty')
        .map(parseExtProp)
        .filter((p): p is ExtProp => !!p);
      const f = ctx.store.createFolder(
        mbx,
        parent,
        displayName,
        fEl.childText('FolderClass') ?? defaultClass,
        ext,
      );
      const name = folderElement(f);
      return successMessage(
        'CreateFolder',
        `<m:Folders><t:${name}>${tag('t:FolderId', { Id: f.id, ChangeKey: changeKey('F', f.version) })}</t:${name}></m:Folders>`,
      );
    }),
  );
};

// ---------------- items ----------------

function sortItems(items: Item[], sortOrder: El | undefined): Item[] {
  const orders = (sortOrder?.all('FieldOrder') ?? []).map((fo) => ({
    desc: fo.attr('Order') === 'Descending',
    uri: fo.first()?.attr('FieldURI') ?? '',
  }));
  if (!orders.length) orders.push({ desc: true, uri: 'item:DateTimeReceived' });
  const val = (it: Item, uri: string): string | number => {
    const def = FIELD_BY_URI.get(uri);
    const v = def ? it.f[def.el] : undefined;
    if (v === undefined) return '';
    if (def?.type === 'date') return Date.parse(v as string);
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string') return v.toLowerCase();
    if (def?.type === 'mbx') return ((v as Mbx).name ?? (v as Mbx).email).toLowerCase();
    return '';
  };
  return items.sort((a, b) => {
    for (const o of orders) {
      const x = val(a, o.uri),
        y = val(b, o.uri);
      if (x < y) return o.desc ? 1 : -1;
      if (x > y) return o.desc ? -1 : 1;
    }
    return o2(a, b);
  });
}
function o2(a: Item, b: Item): number {
  return a.addedSeq - b.addedSeq;
}

function itemsIn(ctx: EwsContext, f: Folder): Item[] {
  const out: Item[] = [];
  for (const id of f.itemIds) {
    const it = ctx.store.item(id);
    if (it) out.push(it);
  }
  return out;
}

/** Minimal AQS: every word must appear in subject, body, sender or recipients. */
function queryStringPredicate(q: string | undefined): (it: Item) => boolean {
  if (!q?.trim()) return () => true;
  const words = q
    .toLowerCase()
    .replace(/\b\w+:/g, '')
    .split(/\s+/)
    .map((w) => w.replace(/^"|"$/g, ''))
    .filter(Boolean);
  return (it) => {
    const hay = [
      it.f.Subject,
      (it.f.Body as Body | undefined)?.text,
      (it.f.From as Mbx | undefined)?.email,
      (it.f.From as Mbx | undefined)?.name,
    ]
      .filter((x) => typeof x === 'string')
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  };
}

const findItem: Handler = (ctx, req) => {
  const shape = parseShape(req.child('ItemShape'), true);
  const parents = req.child('ParentFolderIds')?.children ?? [];
  const associated = req.attr('Traversal') === 'Associated';
  let pred: (it: Item) => boolean;
  try {
    pred = compileRestriction(req.child('Restriction'));
  } catch (e) {
    if (!(e instanceof RestrictionError)) throw e;
    return opResponse(
      'FindItem',
      parents.map(() => errorMessage('FindItem', 'ErrorInvalidRestriction', e.message)).join(''),
    );
  }
  const q = queryStringPredicate(req.childText('QueryString'));
  const calView = req.child('CalendarView');
  const contactsView = req.child('ContactsView');
  const view = req.child('IndexedPageItemView') ?? req.child('FractionalPageItemView');
  return opResponse(
    'FindItem',
    each('FindItem', parents, (pEl) => {
      const folder = resolveFolder(ctx, pEl);
      let items = associated ? [] : itemsIn(ctx, folder).filter((it) => pred(it) && q(it));
      let limit = ctx.findCountLimit;
      if (calView) {
        const s = Date.parse(calView.attr('StartDate') ?? ''),
          e = Date.parse(calView.attr('EndDate') ?? '');
        items = items.filter((it) => {
          const a = Date.parse((it.f.Start as string | undefined) ?? ''),
            b = Date.parse((it.f.End as string | undefined) ?? '');
          return it.kind === 'CalendarItem' && a < e && b > s;
        });
        items.sort((x, y) => Date.parse(x.f.Start as string) - Date.parse(y.f.Start as string));
        const m = Number(calView.attr('MaxEntriesReturned') ?? 0);
        if (m > 0) limit = Math.min(limit, m);
      } else if (contactsView) {
        const i = contactsView.attr('InitialName')?.toLowerCase(),
          f = contactsView.attr('FinalName')?.toLowerCase();
        const nameOf = (it: Item): string => {
          const v = it.f.FileAs ?? it.f.DisplayName ?? it.f.Subject;
          return (typeof v === 'string' ? v : '').toLowerCase();
        };
        items = items
          .filter((it) => (!i || nameOf(it) >= i) && (!f || nameOf(it) <= f))
          .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
        const m = Number(contactsView.attr('MaxEntriesReturned') ?? 0);
        if (m > 0) limit = Math.min(limit, m);
      } else items = sortItems(items, req.child('SortOrder'));
      const p =
        calView || contactsView ? paging(undefined, items.length, limit) : paging(view, items.length, limit);
      const page = items.slice(p.offset, p.offset + p.count);
      return successMessage(
        'FindItem',
        `<m:RootFolder IndexedPagingOffset="${p.nextOffset}" TotalItemsInView="${items.length}" IncludesLastItemInRange="${p.last}"><t:Items>${page.map((it) => itemXml(it, shape)).join('')}</t:Items></m:RootFolder>`,
      );
    }),
  );
};

const getItem: Handler = (ctx, req) => {
  const shape = parseShape(req.child('ItemShape'), false);
  const ids = req.child('ItemIds')?.children ?? [];
  return opResponse(
    'GetItem',
    each('GetItem', ids, (idEl) => {
      const it = resolveItem(ctx, idEl);
      return successMessage('GetItem', `<m:Items>${itemXml(it, shape)}</m:Items>`);
    }),
  );
};

const syncFolderItems: Handler = (ctx, req) => {
  const shape = parseShape(req.child('ItemShape'), true);
  return opResponse(
    'SyncFolderItems',
    each('SyncFolderItems', [req], () => {
      const folder = resolveFolder(ctx, req.child('SyncFolderId')?.first());
      const raw = req.childText('SyncState')?.trim();
      let since = 0;
      if (ctx.forceInvalidSyncState && raw)
        throw new EwsError(
          'ErrorInvalidSyncStateData',
          'Synchronization state data is corrupt or otherwise invalid.',
        );
      if (raw) {
        const st = decodeSyncState(raw, ctx.store.secret);
        if (!st || st.folderId !== folder.id)
          throw new EwsError(
            'ErrorInvalidSyncStateData',
            'Synchronization state data is corrupt or otherwise invalid.',
          );
        since = st.seq;
      }
      const max = Math.min(512, Math.max(1, Number(req.childText('MaxChangesReturned') ?? 512) || 512));
      const ignore = new Set((req.child('Ignore')?.children ?? []).map((e) => e.attr('Id') ?? ''));
      const { changes, watermark, more } = changesSince(folder, itemsIn(ctx, folder), since, max, ignore);
      const xml = changes
        .map((c) => {
          switch (c.type) {
            case 'Create':
            case 'Update':
              return `<t:${c.type}>${itemXml(c.item, shape)}</t:${c.type}>`;
            case 'ReadFlagChange':
              return `<t:ReadFlagChange>${tag('t:ItemId', { Id: c.item.id, ChangeKey: changeKey('I', c.item.version) })}${txt('t:IsRead', c.item.f.IsRead === true ? 'true' : 'false')}</t:ReadFlagChange>`;
            case 'Delete':
              return `<t:Delete>${tag('t:ItemId', { Id: c.itemId, ChangeKey: changeKey('I', c.version) })}</t:Delete>`;
          }
        })
        .join('');
      const state = encodeSyncState({ folderId: folder.id, seq: watermark }, ctx.store.secret);
      return successMessage(
        'SyncFolderItems',
        `<m:SyncState>${state}</m:SyncState><m:IncludesLastItemInRange>${!more}</m:IncludesLastItemInRange><m:Changes>${xml}</m:Changes>`,
      );
    }),
  );
};

const DEFAULT_FOLDER: Record<ItemKind, string> = {
  Item: 'drafts',
  Message: 'drafts',
  CalendarItem: 'calendar',
  Contact: 'contacts',
  Task: 'tasks',
};

function sendMessage(ctx: EwsContext, mbx: Mailbox, f: Record<string, FieldValue>, ext: ExtProp[]): void {
  const from: Mbx = (f.From as Mbx | undefined) ?? { name: mbx.displayName, email: mbx.smtp };
  const all = [
    ...((f.ToRecipients as Mbx[] | undefined) ?? []),
    ...((f.CcRecipients as Mbx[] | undefined) ?? []),
    ...((f.BccRecipients as Mbx[] | undefined) ?? []),
  ];
  if (!all.length) throw new EwsError('ErrorInvalidRecipients', 'At least one recipient is required.');
  const body = f.Body as Body | undefined;
  ctx.store.deliver({
    from,
    to: (f.ToRecipients as Mbx[] | undefined) ?? [],
    cc: (f.CcRecipients as Mbx[] | undefined) ?? [],
    subject: typeof f.Subject === 'string' ? f.Subject : '',
    body: body?.text ?? '',
    bodyType: body?.type ?? 'HTML',
    internetMessageId: f.InternetMessageId as string,
    extendedProperties: ext,
  });
  // Bcc recipients get their copy too (deliver() handles To/Cc)
  for (const b of (f.BccRecipients as Mbx[] | undefined) ?? []) {
    const r = ctx.store.mailbox(b.email);
    if (
      r &&
      !all
        .slice(0, all.length - ((f.BccRecipients as Mbx[]) ?? []).length)
        .some((x) => x.email.toLowerCase() === r.key)
    )
      ctx.store.deliver({
        from,
        to: [b],
        subject: typeof f.Subject === 'string' ? f.Subject : '',
        body: body?.text ?? '',
        bodyType: body?.type ?? 'HTML',
        internetMessageId: f.InternetMessageId as string,
      });
  }
}

const createItem: Handler = (ctx, req) => {
  const disposition = req.attr('MessageDisposition');
  const items = req.child('Items')?.children ?? [];
  const savedEl = req.child('SavedItemFolderId')?.first();
  return opResponse(
    'CreateItem',
    each('CreateItem', items, (itEl) => {
      const parsed = parseItemElement(itEl);
      if (!parsed) throw new EwsError('ErrorInvalidRequest', `Item type ${itEl.local} is not supported.`);
      const { kind, f, ext } = parsed;
      const target = savedEl ? resolveFolder(ctx, savedEl) : undefined;
      if (!target && !ctx.mailbox)
        throw new EwsError('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.');
      const mbx = target ? mailboxOf(ctx, target) : (ctx.mailbox as Mailbox);
      if (kind === 'Message' || kind === 'Item') {
        if (kind === 'Message' && !disposition)
          throw new EwsError('ErrorMessageDispositionRequired', 'MessageDisposition attribute is required.');
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (disposition === 'SendOnly' || disposition === 'SendAndSaveCopy') {
          f.From ??= { name: mbx.displayName, email: mbx.smtp };
          f.InternetMessageId ??= `<${Date.now().toString(36)}${Math.random().toString(36).slice(2)}@${mbx.key.split('@')[1] ?? 'sim'}>`;
          sendMessage(ctx, mbx, f, ext);
          if (disposition === 'SendAndSaveCopy') {
            const sent = target ?? ctx.store.distinguished(mbx, 'sentitems');
            if (!sent) throw new EwsError('ErrorFolderNotFound', 'Sent Items not found');
            ctx.store.createItem(
              mbx,
              sent,
              'Message',
              {
                ...f,
                IsRead: true,
                IsDraft: false,
                IsFromMe: true,
                IsSubmitted: false,
                DateTimeSent: now,
                DateTimeReceived: now,
                Sender: f.From,
              },
              ext,
            );
          }
          // Exchange returns no item for sent messages: clients find the copy by InternetMessageId.
          return successMessage('CreateItem', '<m:Items/>');
        }
        const folder = target ?? ctx.store.distinguished(mbx, DEFAULT_FOLDER[kind]);
        if (!folder) throw new EwsError('ErrorFolderNotFound', 'Folder not found');
        const it = ctx.store.createItem(
          mbx,
          folder,
          kind,
          { IsDraft: kind === 'Message', IsRead: true, ...f },
          ext,
        );
        return successMessage(
          'CreateItem',
          `<m:Items><t:${kind}>${tag('t:ItemId', { Id: it.id, ChangeKey: changeKey('I', it.version) })}</t:${kind}></m:Items>`,
        );
      }
      const folder = target ?? ctx.store.distinguished(mbx, DEFAULT_FOLDER[kind]);
      if (!folder) throw new EwsError('ErrorFolderNotFound', 'Folder not found');
      if (kind === 'CalendarItem') {
        f.Organizer ??= { name: mbx.displayName, email: mbx.smtp };
        f.IsMeeting ??= Array.isArray(f.RequiredAttendees) || Array.isArray(f.OptionalAttendees);
        f.IsOrganizer ??= true;
        f.MyResponseType ??= 'Organizer';
      }
      if (kind === 'Contact') {
        const dn = [f.GivenName, f.Surname]
          .filter((x): x is string => typeof x === 'string' && x !== '')
          .join(' ');
        f.DisplayName ??= dn;
        f.FileAs ??= f.DisplayName;
        f.Subject = f.DisplayName || ((f.Subject as string) ?? '');
      }
      const it = ctx.store.createItem(mbx, folder, kind, f, ext);
      return successMessage(
        'CreateItem',
        `<m:Items><t:${kind}>${tag('t:ItemId', { Id: it.id, ChangeKey: changeKey('I', it.version) })}</t:${kind}></m:Items>`,
      );
    }),
  );
};

function pathOf(el: El): El | undefined {
  return el.children.find(
    (c) => c.local === 'FieldURI' || c.local === 'IndexedFieldURI' || c.local === 'ExtendedFieldURI',
  );
}

function applyUpdate(it: Item, upd: El): boolean /* readOnly */ {
  const path = pathOf(upd);
  if (!path) throw new EwsError('ErrorInvalidRequest', 'A property path is required.');
  const itemEl = upd.children.find((c) => c !== path);
  if (path.local === 'ExtendedFieldURI') {
    const key = extKey(extUriAttrs(path));
    if (upd.local === 'DeleteItemField') {
      it.ext = it.ext.filter((e) => e.key !== key);
      return false;
    }
    const p =
      itemEl
        ?.all('ExtendedProperty')
        .map(parseExtProp)
        .find((x) => x?.key === key) ?? itemEl?.all('ExtendedProperty').map(parseExtProp)[0];
    if (!p) throw new EwsError('ErrorInvalidPropertySet', 'The extended property value is missing.');
    const existing = it.ext.findIndex((e) => e.key === key);
    if (existing >= 0) it.ext[existing] = p;
    else it.ext.push(p);
    return false;
  }
  const uri = path.attr('FieldURI') ?? '';
  if (path.local === 'IndexedFieldURI') {
    const index = path.attr('FieldIndex') ?? '';
    const dictEl =
      uri === 'contacts:EmailAddress'
        ? 'EmailAddresses'
        : uri === 'contacts:PhoneNumber'
          ? 'PhoneNumbers'
          : uri.startsWith('contacts:PhysicalAddress')
            ? 'PhysicalAddresses'
            : undefined;
    if (!dictEl) return false;
    const def = fieldByEl(it.kind, dictEl);
    if (!def) return false;
    const current = [...((it.f[dictEl] as (DictEntry | AddrEntry)[] | undefined) ?? [])];
    const at = current.findIndex((e) => e.key === index);
    if (upd.local === 'DeleteItemField') {
      if (dictEl === 'PhysicalAddresses') {
        const part = uri.split(':')[2] as keyof AddrEntry | undefined;
        if (at >= 0 && part) delete (current[at] as AddrEntry)[part];
      } else if (at >= 0) current.splice(at, 1);
    } else {
      const src = itemEl?.child(dictEl);
      const parsed = src ? (parseFieldValue(def, src) as (DictEntry | AddrEntry)[]) : [];
      const entry = parsed.find((e) => e.key === index) ?? parsed[0];
      if (entry) {
        if (at >= 0)
          current[at] =
            dictEl === 'PhysicalAddresses'
              ? { ...(current[at] as AddrEntry), ...(entry as AddrEntry) }
              : entry;
        else current.push(entry);
      }
    }
    it.f[dictEl] = current;
    return false;
  }
  const def = FIELD_BY_URI.get(uri);
  if (!def || (def.kind !== 'Item' && def.kind !== it.kind)) return false; // unknown or not applicable: ignored
  if (upd.local === 'DeleteItemField') {
    delete it.f[def.el];
    return false;
  }
  const valEl = itemEl?.child(def.el);
  if (!valEl) throw new EwsError('ErrorInvalidPropertySet', `The value for ${uri} is missing.`);
  const v = parseFieldValue(def, valEl);
  if (v === undefined) return false;
  if (upd.local === 'AppendToItemField') {
    const cur = it.f[def.el];
    if (cur === undefined) it.f[def.el] = v;
    else if (Array.isArray(cur) && Array.isArray(v)) it.f[def.el] = [...cur, ...v] as FieldValue;
    else if (def.type === 'body')
      it.f[def.el] = { type: (cur as Body).type, text: (cur as Body).text + (v as Body).text };
    else if (typeof cur === 'string' && typeof v === 'string') it.f[def.el] = cur + v;
    else throw new EwsError('ErrorInvalidPropertyAppend', `Property ${uri} cannot be appended to.`);
    return false;
  }
  it.f[def.el] = v;
  if (def.el === 'Subject' && it.kind === 'Message') it.f.ConversationTopic = v;
  return def.el === 'IsRead';
}

const updateItem: Handler = (ctx, req) => {
  const conflict = req.attr('ConflictResolution') ?? 'AutoResolve';
  const disposition = req.attr('MessageDisposition');
  const savedEl = req.child('SavedItemFolderId')?.first();
  const changes = req.child('ItemChanges')?.children ?? [];
  return opResponse(
    'UpdateItem',
    each('UpdateItem', changes, (ch) => {
      const idEl = ch.child('ItemId') ?? ch.child('RecurringMasterItemId') ?? ch.child('OccurrenceItemId');
      if (!idEl) throw new EwsError('ErrorInvalidRequest', 'ItemId is required.');
      const it = resolveItem(ctx, idEl);
      const ck = idEl.attr('ChangeKey');
      if (conflict === 'NeverOverwrite' && ck && ck !== changeKey('I', it.version))
        throw new EwsError(
          'ErrorIrresolvableConflict',
          'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
        );
      const updates = ch.child('Updates')?.children ?? [];
      // Validate on a copy first so that a failing update leaves the item untouched.
      const draft: Item = { ...it, f: { ...it.f }, ext: [...it.ext] };
      let readOnly = updates.length > 0;
      for (const u of updates) if (!applyUpdate(draft, u)) readOnly = false;
      ctx.store.updateItem(
        it,
        (x) => {
          x.f = draft.f;
          x.ext = draft.ext;
        },
        readOnly,
      );
      if (it.kind === 'Message' && (disposition === 'SendOnly' || disposition === 'SendAndSaveCopy')) {
        const mbx = ctx.store.mailbox(it.mailbox) as Mailbox;
        it.f.From ??= { name: mbx.displayName, email: mbx.smtp };
        sendMessage(ctx, mbx, it.f, it.ext);
        if (disposition === 'SendAndSaveCopy') {
          const sent = savedEl ? resolveFolder(ctx, savedEl) : ctx.store.distinguished(mbx, 'sentitems');
          if (sent) {
            const moved = ctx.store.moveItem(it, sent);
            ctx.store.updateItem(moved, (x) => {
              x.f.IsDraft = false;
              x.f.IsRead = true;
              x.f.DateTimeSent = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
            });
          }
        } else ctx.store.deleteItem(it);
        return successMessage(
          'UpdateItem',
          '<m:Items/><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>',
        );
      }
      return successMessage(
        'UpdateItem',
        `<m:Items><t:${it.kind}>${tag('t:ItemId', { Id: it.id, ChangeKey: changeKey('I', it.version) })}</t:${it.kind}></m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>`,
      );
    }),
  );
};

const moveItem: Handler = (ctx, req) => {
  const ids = req.child('ItemIds')?.children ?? [];
  const returnNew =
    req.childText('ReturnNewItemIds') === undefined ? true : parseBool(req.childText('ReturnNewItemIds'));
  let to: Folder;
  try {
    to = resolveFolder(ctx, req.child('ToFolderId')?.first());
  } catch (e) {
    if (!(e instanceof EwsError)) throw e;
    return opResponse('MoveItem', ids.map(() => errorMessage('MoveItem', e.code, e.message)).join(''));
  }
  return opResponse(
    'MoveItem',
    each('MoveItem', ids, (idEl) => {
      const it = resolveItem(ctx, idEl);
      if (it.mailbox !== to.mailbox)
        throw new EwsError('ErrorMoveCopyFailed', 'Moving items between mailboxes is not supported.');
      const moved = ctx.store.moveItem(it, to);
      return successMessage(
        'MoveItem',
        returnNew
          ? `<m:Items><t:${moved.kind}>${tag('t:ItemId', { Id: moved.id, ChangeKey: changeKey('I', moved.version) })}</t:${moved.kind}></m:Items>`
          : '<m:Items/>',
      );
    }),
  );
};

const deleteItem: Handler = (ctx, req) => {
  const type = req.attr('DeleteType') ?? 'HardDelete';
  const ids = req.child('ItemIds')?.children ?? [];
  return opResponse(
    'DeleteItem',
    each('DeleteItem', ids, (idEl) => {
      const it = resolveItem(ctx, idEl);
      const mbx = ctx.store.mailbox(it.mailbox) as Mailbox;
      const deleted = ctx.store.distinguished(mbx, 'deleteditems');
      if (type === 'MoveToDeletedItems' && deleted && it.folderId !== deleted.id)
        ctx.store.moveItem(it, deleted);
      else ctx.store.deleteItem(it);
      return successMessage('DeleteItem');
    }),
  );
};

const subscribe: Handler = (ctx, req) => {
  const sreq = req.child('StreamingSubscriptionRequest');
  return opResponse(
    'Subscribe',
    each('Subscribe', [req], () => {
      if (!sreq)
        throw new EwsError(
          'ErrorInvalidSubscriptionRequest',
          'Only streaming subscriptions are supported by the simulator.',
        );
      if (!ctx.mailbox)
        throw new EwsError('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.');
      const all = parseBool(sreq.attr('SubscribeToAllFolders'));
      let folders: Set<string> | 'all' = 'all';
      let mbx = ctx.mailbox;
      if (!all) {
        const fs = (sreq.child('FolderIds')?.children ?? []).map((f) => resolveFolder(ctx, f));
        if (fs[0]) mbx = mailboxOf(ctx, fs[0]);
        folders = new Set(fs.map((f) => f.id));
      }
      const types = new Set((sreq.child('EventTypes')?.children ?? []).map((e) => e.text.trim()));
      const id = ctx.subscriptions.create(mbx, folders, types, ctx.account.userName.toLowerCase());
      return successMessage('Subscribe', `<m:SubscriptionId>${id}</m:SubscriptionId>`);
    }),
  );
};

export const HANDLERS: Record<string, Handler> = {
  GetFolder: getFolder,
  FindFolder: findFolder,
  CreateFolder: createFolder,
  FindItem: findItem,
  GetItem: getItem,
  SyncFolderItems: syncFolderItems,
  CreateItem: createItem,
  UpdateItem: updateItem,
  MoveItem: moveItem,
  DeleteItem: deleteItem,
  Subscribe: subscribe,
};

/** How many response messages an operation would produce: used to shape throttling/injected error responses. */
export function responseCount(op: string, req: El): number {
  switch (op) {
    case 'GetFolder':
      return req.child('FolderIds')?.children.length ?? 1;
    case 'FindFolder':
    case 'FindItem':
      return req.child('ParentFolderIds')?.children.length ?? 1;
    case 'CreateFolder':
      return req.child('Folders')?.children.length ?? 1;
    case 'GetItem':
    case 'MoveItem':
    case 'DeleteItem':
      return req.child('ItemIds')?.children.length ?? 1;
    case 'CreateItem':
      return req.child('Items')?.children.length ?? 1;
    case 'UpdateItem':
      return req.child('ItemChanges')?.children.length ?? 1;
    default:
      return 1;
  }
}

export type { ItemShape };
export { toMbx };
