export type ItemKind = 'Item' | 'Message' | 'CalendarItem' | 'Contact' | 'Task';
export type FolderKind = 'Folder' | 'CalendarFolder' | 'ContactsFolder' | 'TasksFolder';

export interface Mbx {
  name?: string;
  email: string;
  routingType?: string;
}
export interface Body {
  type: 'HTML' | 'Text';
  text: string;
}
export interface Attendee {
  mailbox: Mbx;
  responseType?: string;
}
export interface DictEntry {
  key: string;
  value: string;
}
export interface AddrEntry {
  key: string;
  Street?: string;
  City?: string;
  State?: string;
  CountryOrRegion?: string;
  PostalCode?: string;
}
export type FieldValue =
  string | number | boolean | Body | Mbx | Mbx[] | Attendee[] | string[] | DictEntry[] | AddrEntry[];

/** An extended (MAPI) property: the canonical key of its ExtendedFieldURI, the attributes as sent, and the value(s). */
export interface ExtProp {
  key: string;
  uri: Record<string, string>;
  value?: string;
  values?: string[];
}

export interface Item {
  id: string;
  version: number;
  mailbox: string; // lower-case SMTP of the owning mailbox
  folderId: string;
  kind: ItemKind;
  f: Record<string, FieldValue>;
  ext: ExtProp[];
  /** Per-mailbox change sequence numbers: when the item entered its folder, last content change, last read-flag change. */
  addedSeq: number;
  modSeq: number;
  readSeq: number;
}

export interface Tombstone {
  itemId: string;
  version: number;
  addedSeq: number;
  removedSeq: number;
}

export interface Folder {
  id: string;
  version: number;
  mailbox: string;
  parentId?: string;
  displayName: string;
  folderClass: string;
  distinguished?: string;
  itemIds: Set<string>;
  tombstones: Tombstone[];
  ext: ExtProp[];
}

export interface Account {
  userName: string;
  domain: string;
  password: string;
  sid: string;
  upn: string;
}

export interface Mailbox {
  smtp: string; // as given
  key: string; // lower-case
  displayName: string;
  owner?: string; // lower-case userName of the owning account
  sid: string;
  guid: string;
  seq: number;
  distinguished: Map<string, string>; // distinguished name → folder id
}

export interface Grant {
  all: boolean;
  mailboxes: Set<string>;
}

export function changeKey(kind: string, version: number): string {
  return Buffer.from(`${kind}:${version}`).toString('base64');
}
