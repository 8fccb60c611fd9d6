import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_CLASS } from '../ews/fields';
import { Account, Body, ExtProp, FieldValue, Folder, Grant, Item, ItemKind, Mailbox, Mbx } from './model';

export type StoreEventType = 'NewMail' | 'Created' | 'Modified' | 'Deleted' | 'Moved';
export interface StoreEvent {
  mailbox: string;
  type: StoreEventType;
  itemId?: string;
  folderId?: string;
  parentFolderId: string;
  oldItemId?: string;
  oldParentFolderId?: string;
  timestamp: string;
  unreadCount?: number;
}

export class StoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const DISTINGUISHED: {
  name: string;
  displayName: string;
  folderClass: string;
  parent: string | null;
}[] = [
  { name: 'root', displayName: 'Root', folderClass: '', parent: null },
  { name: 'msgfolderroot', displayName: 'Top of Information Store', folderClass: 'IPF.Note', parent: 'root' },
  { name: 'inbox', displayName: 'Inbox', folderClass: 'IPF.Note', parent: 'msgfolderroot' },
  { name: 'sentitems', displayName: 'Sent Items', folderClass: 'IPF.Note', parent: 'msgfolderroot' },
  { name: 'drafts', displayName: 'Drafts', folderClass: 'IPF.Note', parent: 'msgfolderroot' },
  { name: 'deleteditems', displayName: 'Deleted Items', folderClass: 'IPF.Note', parent: 'msgfolderroot' },
  { name: 'outbox', displayName: 'Outbox', folderClass: 'IPF.Note', parent: 'msgfolderroot' },
  { name: 'junkemail', displayName: 'Junk Email', folderClass: 'IPF.Note', parent: 'msgfolderroot' },
  { name: 'calendar', displayName: 'Calendar', folderClass: 'IPF.Appointment', parent: 'msgfolderroot' },
  { name: 'contacts', displayName: 'Contacts', folderClass: 'IPF.Contact', parent: 'msgfolderroot' },
  { name: 'tasks', displayName: 'Tasks', folderClass: 'IPF.Task', parent: 'msgfolderroot' },
  { name: 'notes', displayName: 'Notes', folderClass: 'IPF.StickyNote', parent: 'msgfolderroot' },
  { name: 'journal', displayName: 'Journal', folderClass: 'IPF.Journal', parent: 'msgfolderroot' },
];

export interface DeliverInput {
  from: string | Mbx;
  to: (string | Mbx)[];
  cc?: (string | Mbx)[];
  subject: string;
  body?: string;
  bodyType?: 'HTML' | 'Text';
  receivedAt?: string | Date;
  internetMessageId?: string;
  isRead?: boolean;
  extendedProperties?: ExtProp[];
}

function sidFor(s: string): string {
  const h = createHash('sha1').update(s).digest();
  return `S-1-5-21-${h.readUInt32LE(0)}-${h.readUInt32LE(4)}-${h.readUInt32LE(8)}-${1000 + (h.readUInt16LE(12) % 9000)}`;
}
export function toMbx(a: string | Mbx): Mbx {
  if (typeof a !== 'string') return a;
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(a);
  return m ? { name: m[1]?.replace(/^"|"$/g, '') ?? '', email: m[2] ?? '' } : { email: a.trim() };
}
function iso(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The simulator's mailbox database: accounts, mailboxes, folders, items and their change sequence. In memory. */
export class Store {
  readonly accounts = new Map<string, Account>();
  readonly mailboxes = new Map<string, Mailbox>();
  readonly grants = new Map<string, Grant>();
  readonly folders = new Map<string, Folder>();
  readonly items = new Map<string, Item>();
  private counter = 0;
  /** Indexes: owner account → mailbox key; mailbox key → its folder ids. */
  private owners = new Map<string, string>();
  private mbxFolders = new Map<string, Set<string>>();
  private listeners: ((e: StoreEvent) => void)[] = [];
  readonly secret: string;

  constructor(secret: string = randomUUID()) {
    this.secret = secret;
  }

  onEvent(l: (e: StoreEvent) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }
  private emit(e: StoreEvent): void {
    for (const l of this.listeners) l(e);
  }

  newId(prefix: string): string {
    // Opaque ids shaped like Exchange's (base64); a counter keeps them short and memory-cheap.
    return prefix + Buffer.from((++this.counter).toString(36).padStart(6, '0')).toString('base64');
  }

  // ---------------- accounts, mailboxes, grants ----------------

  createAccount(input: { userName: string; password: string; domain?: string; upn?: string }): Account {
    const userName = input.userName.trim();
    if (!userName || input.password === undefined)
      throw new StoreError('Invalid', 'userName and password are required');
    const key = userName.toLowerCase();
    if (this.accounts.has(key)) throw new StoreError('Conflict', `account ${userName} exists`);
    const domain = (input.domain ?? 'CONTOSO').trim();
    const acc: Account = {
      userName,
      domain,
      password: input.password,
      sid: sidFor(`acct:${key}`),
      upn: input.upn ?? `${userName}@${domain.toLowerCase()}.local`,
    };
    this.accounts.set(key, acc);
    return acc;
  }

  account(userName: string): Account | undefined {
    return this.accounts.get(userName.toLowerCase());
  }

  createMailbox(input: { smtpAddress: string; displayName?: string; ownerUserName?: string }): Mailbox {
    const smtp = input.smtpAddress.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(smtp))
      throw new StoreError('Invalid', 'smtpAddress must be an e-mail address');
    const key = smtp.toLowerCase();
    if (this.mailboxes.has(key)) throw new StoreError('Conflict', `mailbox ${smtp} exists`);
    const owner = input.ownerUserName?.toLowerCase();
    if (owner !== undefined && !this.accounts.has(owner))
      throw new StoreError('NotFound', `account ${input.ownerUserName} not found`);
    const mbx: Mailbox = {
      smtp,
      key,
      displayName: input.displayName ?? smtp.split('@')[0] ?? smtp,
      ...(owner !== undefined ? { owner } : {}),
      sid: sidFor(`mbx:${key}`),
      guid: randomUUID(),
      seq: 0,
      distinguished: new Map(),
    };
    this.mailboxes.set(key, mbx);
    if (owner !== undefined && !this.owners.has(owner)) this.owners.set(owner, key);
    for (const d of DISTINGUISHED) {
      const f: Folder = {
        id: this.newId('AQMk'),
        version: 1,
        mailbox: key,
        displayName: d.displayName,
        folderClass: d.folderClass,
        distinguished: d.name,
        itemIds: new Set(),
        tombstones: [],
        ext: [],
        ...(d.parent ? { parentId: mbx.distinguished.get(d.parent) } : {}),
      };
      this.addFolder(f);
      mbx.distinguished.set(d.name, f.id);
    }
    return mbx;
  }

  mailbox(smtp: string): Mailbox | undefined {
    return this.mailboxes.get(smtp.trim().toLowerCase());
  }

  /** The mailbox owned by an account (its own mailbox), if any. */
  mailboxOf(userName: string): Mailbox | undefined {
    const k = this.owners.get(userName.toLowerCase());
    return k ? this.mailboxes.get(k) : undefined;
  }

  grantImpersonation(userName: string, mailboxes: string[] | 'all'): Grant {
    const key = userName.toLowerCase();
    if (!this.accounts.has(key)) throw new StoreError('NotFound', `account ${userName} not found`);
    const g = this.grants.get(key) ?? { all: false, mailboxes: new Set<string>() };
    if (mailboxes === 'all') g.all = true;
    else for (const m of mailboxes) g.mailboxes.add(m.trim().toLowerCase());
    this.grants.set(key, g);
    return g;
  }

  revokeImpersonation(userName: string): void {
    this.grants.delete(userName.toLowerCase());
  }

  canImpersonate(userName: string, mbx: Mailbox): boolean {
    const g = this.grants.get(userName.toLowerCase());
    return !!g && (g.all || g.mailboxes.has(mbx.key));
  }

  // ---------------- folders ----------------

  folder(id: string): Folder | undefined {
    return this.folders.get(id);
  }
  distinguished(mbx: Mailbox, name: string): Folder | undefined {
    const id = mbx.distinguished.get(name);
    return id ? this.folders.get(id) : undefined;
  }
  private addFolder(f: Folder): void {
    this.folders.set(f.id, f);
    let set = this.mbxFolders.get(f.mailbox);
    if (!set) this.mbxFolders.set(f.mailbox, (set = new Set()));
    set.add(f.id);
  }
  foldersOf(mailboxKey: string): Folder[] {
    const out: Folder[] = [];
    for (const id of this.mbxFolders.get(mailboxKey) ?? []) {
      const f = this.folders.get(id);
      if (f) out.push(f);
    }
    return out;
  }
  childFolders(f: Folder): Folder[] {
    return this.foldersOf(f.mailbox).filter((x) => x.parentId === f.id);
  }
  folderByName(mbx: Mailbox, nameOrDistinguished: string): Folder | undefined {
    const d = this.distinguished(mbx, nameOrDistinguished.toLowerCase());
    if (d) return d;
    const n = nameOrDistinguished.toLowerCase();
    for (const f of this.foldersOf(mbx.key))
      if (f.displayName.toLowerCase() === n || f.id === nameOrDistinguished) return f;
    return undefined;
  }

  createFolder(
    mbx: Mailbox,
    parent: Folder,
    displayName: string,
    folderClass = 'IPF.Note',
    ext: ExtProp[] = [],
  ): Folder {
    for (const c of this.childFolders(parent))
      if (c.displayName.toLowerCase() === displayName.toLowerCase())
        throw new StoreError('ErrorFolderExists', 'A folder with the specified name already exists.');
    const f: Folder = {
      id: this.newId('AAMk'),
      version: 1,
      mailbox: mbx.key,
      parentId: parent.id,
      displayName,
      folderClass,
      itemIds: new Set(),
      tombstones: [],
      ext,
    };
    this.addFolder(f);
    this.emit({
      mailbox: mbx.key,
      type: 'Created',
      folderId: f.id,
      parentFolderId: parent.id,
      timestamp: iso(),
    });
    return f;
  }

  unreadCount(f: Folder): number {
    let n = 0;
    for (const id of f.itemIds) {
      const it = this.items.get(id);
      if (it && it.kind === 'Message' && it.f.IsRead === false) n++;
    }
    return n;
  }

  // ---------------- items ----------------

  item(id: string): Item | undefined {
    return this.items.get(id);
  }

  createItem(
    mbx: Mailbox,
    folder: Folder,
    kind: ItemKind,
    f: Record<string, FieldValue>,
    ext: ExtProp[] = [],
    opts: { newMail?: boolean } = {},
  ): Item {
    const now = iso();
    const fields: Record<string, FieldValue> = {
      ItemClass: DEFAULT_CLASS[kind],
      Subject: '',
      Sensitivity: 'Normal',
      Importance: 'Normal',
      DateTimeReceived: now,
      DateTimeCreated: now,
      HasAttachments: false,
      Culture: 'en-US',
      IsAssociated: false,
      ...f,
    };
    if (kind === 'Message') {
      fields.IsRead ??= false;
      fields.IsDraft ??= false;
      fields.IsSubmitted ??= false;
      fields.IsFromMe ??= false;
      if (typeof fields.Subject === 'string') fields.ConversationTopic ??= fields.Subject;
      fields.InternetMessageId ??= `<${randomUUID().replace(/-/g, '')}@${mbx.key.split('@')[1] ?? 'sim'}>`;
    }
    if (kind === 'Task') fields.Status ??= 'NotStarted';
    if (kind === 'CalendarItem') {
      fields.UID ??= randomUUID();
      fields.CalendarItemType ??= 'Single';
      fields.LegacyFreeBusyStatus ??= 'Busy';
    }
    const seq = ++mbx.seq;
    const item: Item = {
      id: this.newId('AAMkAG'),
      version: 1,
      mailbox: mbx.key,
      folderId: folder.id,
      kind,
      f: fields,
      ext,
      addedSeq: seq,
      modSeq: seq,
      readSeq: seq,
    };
    this.derive(item);
    this.items.set(item.id, item);
    folder.itemIds.add(item.id);
    this.emit({
      mailbox: mbx.key,
      type: 'Created',
      itemId: item.id,
      parentFolderId: folder.id,
      timestamp: now,
    });
    if (opts.newMail)
      this.emit({
        mailbox: mbx.key,
        type: 'NewMail',
        itemId: item.id,
        parentFolderId: folder.id,
        timestamp: now,
      });
    return item;
  }

  /** Computed properties: DisplayTo/DisplayCc, Size, LastModifiedTime. */
  private derive(item: Item): void {
    const names = (v: FieldValue | undefined): string | undefined =>
      Array.isArray(v) && v.length ? (v as Mbx[]).map((m) => m.name ?? m.email).join('; ') : undefined;
    if (item.kind === 'Message') {
      const to = names(item.f.ToRecipients);
      const cc = names(item.f.CcRecipients);
      if (to !== undefined) item.f.DisplayTo = to;
      else delete item.f.DisplayTo;
      if (cc !== undefined) item.f.DisplayCc = cc;
      else delete item.f.DisplayCc;
    }
    const body = item.f.Body as Body | undefined;
    item.f.Size =
      200 + (typeof item.f.Subject === 'string' ? item.f.Subject.length : 0) + (body ? body.text.length : 0);
    item.f.LastModifiedTime = iso();
  }

  /** Apply a change to an item; `readOnly` marks a change limited to IsRead (a ReadFlagChange for sync). */
  updateItem(item: Item, mutate: (it: Item) => void, readOnly = false): void {
    const mbx = this.mailboxes.get(item.mailbox);
    if (!mbx) throw new StoreError('ErrorItemNotFound', 'mailbox gone');
    mutate(item);
    item.version++;
    const seq = ++mbx.seq;
    if (readOnly) item.readSeq = seq;
    else item.modSeq = seq;
    this.derive(item);
    const folder = this.folders.get(item.folderId);
    this.emit({
      mailbox: item.mailbox,
      type: 'Modified',
      itemId: item.id,
      parentFolderId: item.folderId,
      timestamp: iso(),
      ...(folder ? { unreadCount: this.unreadCount(folder) } : {}),
    });
  }

  private detach(item: Item, mbx: Mailbox): void {
    const folder = this.folders.get(item.folderId);
    const seq = ++mbx.seq;
    if (folder) {
      folder.itemIds.delete(item.id);
      folder.tombstones.push({
        itemId: item.id,
        version: item.version,
        addedSeq: item.addedSeq,
        removedSeq: seq,
      });
    }
    this.items.delete(item.id);
  }

  /** Move an item; like Exchange, the moved item gets a new id. */
  moveItem(item: Item, to: Folder): Item {
    const mbx = this.mailboxes.get(item.mailbox);
    if (!mbx) throw new StoreError('ErrorItemNotFound', 'mailbox gone');
    const oldId = item.id;
    const oldFolder = item.folderId;
    this.detach(item, mbx);
    const seq = ++mbx.seq;
    const moved: Item = {
      ...item,
      id: this.newId('AAMkAG'),
      folderId: to.id,
      version: item.version + 1,
      addedSeq: seq,
      modSeq: seq,
      readSeq: seq,
    };
    this.items.set(moved.id, moved);
    to.itemIds.add(moved.id);
    this.emit({
      mailbox: mbx.key,
      type: 'Moved',
      itemId: moved.id,
      parentFolderId: to.id,
      oldItemId: oldId,
      oldParentFolderId: oldFolder,
      timestamp: iso(),
    });
    return moved;
  }

  deleteItem(item: Item): void {
    const mbx = this.mailboxes.get(item.mailbox);
    if (!mbx) return;
    const folder = item.folderId;
    this.detach(item, mbx);
    this.emit({
      mailbox: mbx.key,
      type: 'Deleted',
      itemId: item.id,
      parentFolderId: folder,
      timestamp: iso(),
    });
  }

  /** Deliver a message to every hosted recipient's inbox (unknown recipients are dropped, as if external). */
  deliver(input: DeliverInput): Item[] {
    const from = toMbx(input.from);
    const to = input.to.map(toMbx);
    const cc = (input.cc ?? []).map(toMbx);
    const received = input.receivedAt ? iso(new Date(input.receivedAt)) : iso();
    const internetMessageId =
      input.internetMessageId ?? `<${randomUUID().replace(/-/g, '')}@${from.email.split('@')[1] ?? 'sim'}>`;
    const out: Item[] = [];
    const seen = new Set<string>();
    for (const r of [...to, ...cc]) {
      const mbx = this.mailbox(r.email);
      if (!mbx || seen.has(mbx.key)) continue;
      seen.add(mbx.key);
      const inbox = this.distinguished(mbx, 'inbox');
      if (!inbox) continue;
      const f: Record<string, FieldValue> = {
        Subject: input.subject,
        DateTimeReceived: received,
        DateTimeSent: received,
        DateTimeCreated: received,
        From: from,
        Sender: from,
        ToRecipients: to,
        InternetMessageId: internetMessageId,
        IsRead: input.isRead ?? false,
        Body: { type: input.bodyType ?? 'HTML', text: input.body ?? '' },
      };
      if (cc.length) f.CcRecipients = cc;
      out.push(
        this.createItem(
          mbx,
          inbox,
          'Message',
          f,
          (input.extendedProperties ?? []).map((p) => ({ ...p })),
          { newMail: true },
        ),
      );
    }
    return out;
  }

  // ---------------- snapshot ----------------

  toJSON(): unknown {
    return {
      version: 1,
      counter: this.counter,
      secret: this.secret,
      accounts: [...this.accounts.values()],
      mailboxes: [...this.mailboxes.values()].map((m) => ({ ...m, distinguished: [...m.distinguished] })),
      grants: [...this.grants].map(([k, g]) => ({ userName: k, all: g.all, mailboxes: [...g.mailboxes] })),
      folders: [...this.folders.values()].map((f) => ({ ...f, itemIds: [...f.itemIds] })),
      items: [...this.items.values()],
    };
  }

  static fromJSON(raw: unknown): Store {
    const j = raw as {
      counter: number;
      secret: string;
      accounts: Account[];
      mailboxes: (Omit<Mailbox, 'distinguished'> & { distinguished: [string, string][] })[];
      grants: { userName: string; all: boolean; mailboxes: string[] }[];
      folders: (Omit<Folder, 'itemIds'> & { itemIds: string[] })[];
      items: Item[];
    };
    const s = new Store(j.secret);
    s.counter = j.counter;
    for (const a of j.accounts) s.accounts.set(a.userName.toLowerCase(), a);
    for (const m of j.mailboxes) {
      s.mailboxes.set(m.key, { ...m, distinguished: new Map(m.distinguished) });
      if (m.owner !== undefined && !s.owners.has(m.owner)) s.owners.set(m.owner, m.key);
    }
    for (const g of j.grants) s.grants.set(g.userName, { all: g.all, mailboxes: new Set(g.mailboxes) });
    for (const f of j.folders) s.addFolder({ ...f, itemIds: new Set(f.itemIds) });
    for (const i of j.items) s.items.set(i.id, i);
    return s;
  }
}
