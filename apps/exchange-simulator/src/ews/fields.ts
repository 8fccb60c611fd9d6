import { El, esc, tag, txt } from '../xml/xml';
import {
  AddrEntry,
  Attendee,
  Body,
  DictEntry,
  ExtProp,
  FieldValue,
  Item,
  ItemKind,
  Mbx,
  changeKey,
} from '../store/model';

export type FieldType =
  | 'string'
  | 'bool'
  | 'int'
  | 'double'
  | 'date'
  | 'body'
  | 'mbx'
  | 'mbxs'
  | 'attendees'
  | 'strings'
  | 'emailDict'
  | 'phoneDict'
  | 'addrDict';

export interface FieldDef {
  uri: string;
  el: string;
  type: FieldType;
  kind: ItemKind; // 'Item' = common to every item type
}

const I = 'Item',
  M = 'Message',
  C = 'CalendarItem',
  P = 'Contact',
  T = 'Task';

// Element order follows types.xsd (ItemType, then each subtype's extension), which is what schema validation checks.
const DEFS: [string, string, FieldType, ItemKind][] = [
  ['item:ItemClass', 'ItemClass', 'string', I],
  ['item:Subject', 'Subject', 'string', I],
  ['item:Sensitivity', 'Sensitivity', 'string', I],
  ['item:Body', 'Body', 'body', I],
  ['item:DateTimeReceived', 'DateTimeReceived', 'date', I],
  ['item:Size', 'Size', 'int', I],
  ['item:Categories', 'Categories', 'strings', I],
  ['item:Importance', 'Importance', 'string', I],
  ['item:InReplyTo', 'InReplyTo', 'string', I],
  ['item:IsSubmitted', 'IsSubmitted', 'bool', I],
  ['item:IsDraft', 'IsDraft', 'bool', I],
  ['item:IsFromMe', 'IsFromMe', 'bool', I],
  ['item:IsResend', 'IsResend', 'bool', I],
  ['item:IsUnmodified', 'IsUnmodified', 'bool', I],
  ['item:DateTimeSent', 'DateTimeSent', 'date', I],
  ['item:DateTimeCreated', 'DateTimeCreated', 'date', I],
  ['item:ReminderDueBy', 'ReminderDueBy', 'date', I],
  ['item:ReminderIsSet', 'ReminderIsSet', 'bool', I],
  ['item:ReminderMinutesBeforeStart', 'ReminderMinutesBeforeStart', 'int', I],
  ['item:DisplayCc', 'DisplayCc', 'string', I],
  ['item:DisplayTo', 'DisplayTo', 'string', I],
  ['item:HasAttachments', 'HasAttachments', 'bool', I],
  // ExtendedProperty goes here
  ['item:Culture', 'Culture', 'string', I],
  ['item:LastModifiedName', 'LastModifiedName', 'string', I],
  ['item:LastModifiedTime', 'LastModifiedTime', 'date', I],
  ['item:IsAssociated', 'IsAssociated', 'bool', I],
  ['item:Preview', 'Preview', 'string', I],

  ['message:Sender', 'Sender', 'mbx', M],
  ['message:ToRecipients', 'ToRecipients', 'mbxs', M],
  ['message:CcRecipients', 'CcRecipients', 'mbxs', M],
  ['message:BccRecipients', 'BccRecipients', 'mbxs', M],
  ['message:IsReadReceiptRequested', 'IsReadReceiptRequested', 'bool', M],
  ['message:IsDeliveryReceiptRequested', 'IsDeliveryReceiptRequested', 'bool', M],
  ['message:ConversationTopic', 'ConversationTopic', 'string', M],
  ['message:From', 'From', 'mbx', M],
  ['message:InternetMessageId', 'InternetMessageId', 'string', M],
  ['message:IsRead', 'IsRead', 'bool', M],
  ['message:IsResponseRequested', 'IsResponseRequested', 'bool', M],
  ['message:References', 'References', 'string', M],
  ['message:ReplyTo', 'ReplyTo', 'mbxs', M],

  ['calendar:UID', 'UID', 'string', C],
  ['calendar:DateTimeStamp', 'DateTimeStamp', 'date', C],
  ['calendar:Start', 'Start', 'date', C],
  ['calendar:End', 'End', 'date', C],
  ['calendar:IsAllDayEvent', 'IsAllDayEvent', 'bool', C],
  ['calendar:LegacyFreeBusyStatus', 'LegacyFreeBusyStatus', 'string', C],
  ['calendar:Location', 'Location', 'string', C],
  ['calendar:When', 'When', 'string', C],
  ['calendar:IsMeeting', 'IsMeeting', 'bool', C],
  ['calendar:IsCancelled', 'IsCancelled', 'bool', C],
  ['calendar:IsRecurring', 'IsRecurring', 'bool', C],
  ['calendar:MeetingRequestWasSent', 'MeetingRequestWasSent', 'bool', C],
  ['calendar:IsResponseRequested', 'IsResponseRequested', 'bool', C],
  ['calendar:CalendarItemType', 'CalendarItemType', 'string', C],
  ['calendar:MyResponseType', 'MyResponseType', 'string', C],
  ['calendar:Organizer', 'Organizer', 'mbx', C],
  ['calendar:RequiredAttendees', 'RequiredAttendees', 'attendees', C],
  ['calendar:OptionalAttendees', 'OptionalAttendees', 'attendees', C],
  ['calendar:Resources', 'Resources', 'attendees', C],
  ['calendar:Duration', 'Duration', 'string', C],
  ['calendar:TimeZone', 'TimeZone', 'string', C],
  ['calendar:AppointmentSequenceNumber', 'AppointmentSequenceNumber', 'int', C],
  ['calendar:AppointmentState', 'AppointmentState', 'int', C],
  ['calendar:IsOnlineMeeting', 'IsOnlineMeeting', 'bool', C],
  ['calendar:IsOrganizer', 'IsOrganizer', 'bool', C],

  ['contacts:FileAs', 'FileAs', 'string', P],
  ['contacts:DisplayName', 'DisplayName', 'string', P],
  ['contacts:GivenName', 'GivenName', 'string', P],
  ['contacts:Initials', 'Initials', 'string', P],
  ['contacts:MiddleName', 'MiddleName', 'string', P],
  ['contacts:Nickname', 'Nickname', 'string', P],
  ['contacts:CompanyName', 'CompanyName', 'string', P],
  ['contacts:EmailAddresses', 'EmailAddresses', 'emailDict', P],
  ['contacts:PhysicalAddresses', 'PhysicalAddresses', 'addrDict', P],
  ['contacts:PhoneNumbers', 'PhoneNumbers', 'phoneDict', P],
  ['contacts:AssistantName', 'AssistantName', 'string', P],
  ['contacts:Birthday', 'Birthday', 'date', P],
  ['contacts:BusinessHomePage', 'BusinessHomePage', 'string', P],
  ['contacts:Children', 'Children', 'strings', P],
  ['contacts:Companies', 'Companies', 'strings', P],
  ['contacts:Department', 'Department', 'string', P],
  ['contacts:Generation', 'Generation', 'string', P],
  ['contacts:JobTitle', 'JobTitle', 'string', P],
  ['contacts:Manager', 'Manager', 'string', P],
  ['contacts:Mileage', 'Mileage', 'string', P],
  ['contacts:OfficeLocation', 'OfficeLocation', 'string', P],
  ['contacts:Profession', 'Profession', 'string', P],
  ['contacts:SpouseName', 'SpouseName', 'string', P],
  ['contacts:Surname', 'Surname', 'string', P],
  ['contacts:WeddingAnniversary', 'WeddingAnniversary', 'date', P],
  ['contacts:Notes', 'Notes', 'string', P],

  ['task:ActualWork', 'ActualWork', 'int', T],
  ['task:AssignedTime', 'AssignedTime', 'date', T],
  ['task:BillingInformation', 'BillingInformation', 'string', T],
  ['task:ChangeCount', 'ChangeCount', 'int', T],
  ['task:Companies', 'Companies', 'strings', T],
  ['task:CompleteDate', 'CompleteDate', 'date', T],
  ['task:Contacts', 'Contacts', 'strings', T],
  ['task:DelegationState', 'DelegationState', 'string', T],
  ['task:Delegator', 'Delegator', 'string', T],
  ['task:DueDate', 'DueDate', 'date', T],
  ['task:IsAssignmentEditable', 'IsAssignmentEditable', 'int', T],
  ['task:IsComplete', 'IsComplete', 'bool', T],
  ['task:IsRecurring', 'IsRecurring', 'bool', T],
  ['task:IsTeamTask', 'IsTeamTask', 'bool', T],
  ['task:Mileage', 'Mileage', 'string', T],
  ['task:Owner', 'Owner', 'string', T],
  ['task:PercentComplete', 'PercentComplete', 'double', T],
  ['task:StartDate', 'StartDate', 'date', T],
  ['task:Status', 'Status', 'string', T],
  ['task:StatusDescription', 'StatusDescription', 'string', T],
  ['task:TotalWork', 'TotalWork', 'int', T],
];

export const FIELDS: FieldDef[] = DEFS.map(([uri, el, type, kind]) => ({ uri, el, type, kind }));
export const FIELD_BY_URI = new Map(FIELDS.map((f) => [f.uri, f]));
/** Item-level element names come before ExtendedProperty; everything from Culture on comes after. */
const AFTER_EXT = new Set(['Culture', 'LastModifiedName', 'LastModifiedTime', 'IsAssociated', 'Preview']);

const byKind = new Map<ItemKind, FieldDef[]>();
for (const k of ['Item', 'Message', 'CalendarItem', 'Contact', 'Task'] as ItemKind[]) {
  byKind.set(
    k,
    FIELDS.filter((f) => f.kind === 'Item' || f.kind === k),
  );
}
export function fieldsOf(kind: ItemKind): FieldDef[] {
  return byKind.get(kind) ?? [];
}
export function fieldByEl(kind: ItemKind, el: string): FieldDef | undefined {
  return fieldsOf(kind).find((f) => f.el === el);
}

export const ITEM_KINDS: ItemKind[] = ['Item', 'Message', 'CalendarItem', 'Contact', 'Task'];
export const DEFAULT_CLASS: Record<ItemKind, string> = {
  Item: 'IPM',
  Message: 'IPM.Note',
  CalendarItem: 'IPM.Appointment',
  Contact: 'IPM.Contact',
  Task: 'IPM.Task',
};
/** Item element names a request may use; meeting messages are stored as messages. */
export function kindOfElement(local: string): ItemKind | undefined {
  switch (local) {
    case 'Item':
    case 'PostItem':
      return 'Item';
    case 'Message':
    case 'MeetingMessage':
    case 'MeetingRequest':
    case 'MeetingResponse':
    case 'MeetingCancellation':
      return 'Message';
    case 'CalendarItem':
      return 'CalendarItem';
    case 'Contact':
      return 'Contact';
    case 'Task':
      return 'Task';
    default:
      return undefined;
  }
}

// ---------- parsing request XML into values ----------

export function parseBool(s: string | undefined): boolean {
  const v = (s ?? '').trim();
  return v === 'true' || v === '1';
}

function parseMbx(el: El | undefined): Mbx | undefined {
  if (!el) return undefined;
  const email = el.childText('EmailAddress')?.trim() ?? '';
  const name = el.childText('Name');
  const routingType = el.childText('RoutingType');
  if (!email && !name) return undefined;
  return { email, ...(name !== undefined ? { name } : {}), ...(routingType ? { routingType } : {}) };
}

export function parseFieldValue(def: FieldDef, el: El): FieldValue | undefined {
  switch (def.type) {
    case 'string':
    case 'date':
      return el.text;
    case 'bool':
      return parseBool(el.text);
    case 'int':
      return parseInt(el.text, 10) || 0;
    case 'double':
      return parseFloat(el.text) || 0;
    case 'body':
      return { type: el.attr('BodyType') === 'Text' ? 'Text' : 'HTML', text: el.text } satisfies Body;
    case 'mbx':
      return parseMbx(el.child('Mailbox'));
    case 'mbxs':
      return el
        .all('Mailbox')
        .map(parseMbx)
        .filter((m): m is Mbx => m !== undefined);
    case 'attendees':
      return el.all('Attendee').flatMap((a): Attendee[] => {
        const m = parseMbx(a.child('Mailbox'));
        if (!m) return [];
        const rt = a.childText('ResponseType');
        return [{ mailbox: m, ...(rt ? { responseType: rt } : {}) }];
      });
    case 'strings':
      return el.all('String').map((s) => s.text);
    case 'emailDict':
    case 'phoneDict':
      return el.all('Entry').map((e): DictEntry => ({ key: e.attr('Key') ?? '', value: e.text.trim() }));
    case 'addrDict':
      return el.all('Entry').map((e): AddrEntry => {
        const a: AddrEntry = { key: e.attr('Key') ?? '' };
        for (const c of e.children)
          if (['Street', 'City', 'State', 'CountryOrRegion', 'PostalCode'].includes(c.local))
            (a as unknown as Record<string, string>)[c.local] = c.text;
        return a;
      });
  }
}

/** Canonical key for an ExtendedFieldURI so that equivalent spellings address the same property. */
export function extKey(uri: Record<string, string>): string {
  const tagNum =
    uri.PropertyTag !== undefined
      ? Number(uri.PropertyTag.startsWith('0x') ? uri.PropertyTag : uri.PropertyTag)
      : undefined;
  return [
    uri.DistinguishedPropertySetId ?? '',
    (uri.PropertySetId ?? '').toLowerCase(),
    tagNum !== undefined && !Number.isNaN(tagNum) ? tagNum.toString(16) : (uri.PropertyTag ?? ''),
    uri.PropertyName ?? '',
    uri.PropertyId ?? '',
    uri.PropertyType ?? '',
  ].join('|');
}
const EXT_ATTRS = [
  'DistinguishedPropertySetId',
  'PropertySetId',
  'PropertyTag',
  'PropertyName',
  'PropertyId',
  'PropertyType',
];
export function extUriAttrs(el: El): Record<string, string> {
  const u: Record<string, string> = {};
  for (const a of EXT_ATTRS) {
    const v = el.attr(a);
    if (v !== undefined) u[a] = v;
  }
  return u;
}
export function parseExtProp(el: El): ExtProp | undefined {
  const u = el.child('ExtendedFieldURI');
  if (!u) return undefined;
  const uri = extUriAttrs(u);
  const values = el.child('Values');
  return values
    ? { key: extKey(uri), uri, values: values.all('Value').map((v) => v.text) }
    : { key: extKey(uri), uri, value: el.childText('Value') ?? '' };
}

/** Parse an item element (Message, CalendarItem, …) into fields and extended properties. */
export function parseItemElement(
  el: El,
): { kind: ItemKind; f: Record<string, FieldValue>; ext: ExtProp[] } | undefined {
  const kind = kindOfElement(el.local);
  if (!kind) return undefined;
  const f: Record<string, FieldValue> = {};
  const ext: ExtProp[] = [];
  for (const c of el.children) {
    if (c.local === 'ExtendedProperty') {
      const p = parseExtProp(c);
      if (p) ext.push(p);
      continue;
    }
    const def = fieldByEl(kind, c.local);
    if (!def) continue; // unknown or unsupported element: ignored, as documented
    const v = parseFieldValue(def, c);
    if (v !== undefined) f[def.el] = v;
  }
  return { kind, f, ext };
}

// ---------- serialization ----------

function mbxXml(m: Mbx): string {
  return `<t:Mailbox>${m.name !== undefined ? txt('t:Name', m.name) : ''}${m.email ? txt('t:EmailAddress', m.email) : ''}${txt('t:RoutingType', m.routingType ?? 'SMTP')}<t:MailboxType>${m.email ? 'Mailbox' : 'OneOff'}</t:MailboxType></t:Mailbox>`;
}

export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}
export function textToHtml(text: string): string {
  return `<html><body>${esc(text).replace(/\n/g, '<br>')}</body></html>`;
}

export function valueXml(def: FieldDef, v: FieldValue, bodyType?: string): string {
  const n = `t:${def.el}`;
  switch (def.type) {
    case 'string':
    case 'date':
    case 'int':
    case 'double':
      return txt(n, v as string | number);
    case 'bool':
      return txt(n, v ? 'true' : 'false');
    case 'body': {
      const b = v as Body;
      let type = b.type;
      let text = b.text;
      if (bodyType === 'Text' && type === 'HTML') {
        type = 'Text';
        text = htmlToText(text);
      } else if (bodyType === 'HTML' && type === 'Text') {
        type = 'HTML';
        text = textToHtml(text);
      }
      return tag(n, { BodyType: type }, esc(text));
    }
    case 'mbx':
      return `<${n}>${mbxXml(v as Mbx)}</${n}>`;
    case 'mbxs': {
      const arr = v as Mbx[];
      return arr.length ? `<${n}>${arr.map(mbxXml).join('')}</${n}>` : '';
    }
    case 'attendees': {
      const arr = v as Attendee[];
      if (!arr.length) return '';
      return `<${n}>${arr.map((a) => `<t:Attendee>${mbxXml(a.mailbox)}${txt('t:ResponseType', a.responseType ?? 'Unknown')}</t:Attendee>`).join('')}</${n}>`;
    }
    case 'strings': {
      const arr = v as string[];
      return `<${n}>${arr.map((s) => txt('t:String', s)).join('')}</${n}>`;
    }
    case 'emailDict':
    case 'phoneDict': {
      const arr = (v as DictEntry[]).filter((e) => e.value !== '');
      if (!arr.length) return '';
      return `<${n}>${arr.map((e) => tag('t:Entry', { Key: e.key }, esc(e.value))).join('')}</${n}>`;
    }
    case 'addrDict': {
      const arr = v as AddrEntry[];
      if (!arr.length) return '';
      return `<${n}>${arr
        .map((e) =>
          tag(
            't:Entry',
            { Key: e.key },
            txt('t:Street', e.Street) +
              txt('t:City', e.City) +
              txt('t:State', e.State) +
              txt('t:CountryOrRegion', e.CountryOrRegion) +
              txt('t:PostalCode', e.PostalCode),
          ),
        )
        .join('')}</${n}>`;
    }
  }
}

export function extPropXml(p: ExtProp): string {
  const uri = tag('t:ExtendedFieldURI', p.uri);
  const val = p.values
    ? `<t:Values>${p.values.map((v) => txt('t:Value', v)).join('')}</t:Values>`
    : txt('t:Value', p.value ?? '');
  return `<t:ExtendedProperty>${uri}${val}</t:ExtendedProperty>`;
}

export interface ItemShape {
  base: 'IdOnly' | 'Default' | 'AllProperties' | 'PcxPeopleSearch';
  fields: Set<string>; // element names requested in addition (for the item's kind)
  uris: Set<string>;
  ext: { key: string; uri: Record<string, string> }[];
  bodyType?: string;
  /** FindItem/SyncFolderItems never return the body unless it is asked for explicitly. */
  noBodyByDefault: boolean;
}

const DEFAULT_SHAPE: Record<ItemKind, string[]> = {
  Item: ['Subject', 'DateTimeReceived', 'HasAttachments', 'ItemClass', 'Importance', 'Sensitivity', 'Size'],
  Message: [
    'Subject',
    'DateTimeReceived',
    'DateTimeSent',
    'HasAttachments',
    'ItemClass',
    'Importance',
    'Sensitivity',
    'Size',
    'From',
    'IsRead',
    'ToRecipients',
    'CcRecipients',
    'DisplayTo',
    'DisplayCc',
  ],
  CalendarItem: [
    'Subject',
    'ItemClass',
    'Start',
    'End',
    'Location',
    'IsAllDayEvent',
    'Organizer',
    'LegacyFreeBusyStatus',
    'CalendarItemType',
    'HasAttachments',
    'Importance',
    'Sensitivity',
  ],
  Contact: [
    'Subject',
    'ItemClass',
    'DisplayName',
    'GivenName',
    'Surname',
    'CompanyName',
    'EmailAddresses',
    'PhoneNumbers',
    'FileAs',
    'JobTitle',
    'HasAttachments',
  ],
  Task: [
    'Subject',
    'ItemClass',
    'DueDate',
    'StartDate',
    'Status',
    'PercentComplete',
    'IsComplete',
    'HasAttachments',
    'Importance',
  ],
};

/** Serialize an item for a response, honouring the requested shape; element order is the schema's. */
export function itemXml(item: Item, shape: ItemShape): string {
  const kind = item.kind;
  let out = tag('t:ItemId', { Id: item.id, ChangeKey: changeKey('I', item.version) });
  if (
    shape.base === 'IdOnly' &&
    shape.fields.size === 0 &&
    shape.ext.length === 0 &&
    !shape.uris.has('item:ParentFolderId')
  )
    return `<t:${kind}>${out}</t:${kind}>`;
  const all = shape.base === 'AllProperties';
  if (all || shape.uris.has('item:ParentFolderId')) out += tag('t:ParentFolderId', { Id: item.folderId });
  const deflt = shape.base === 'Default' ? new Set(DEFAULT_SHAPE[kind]) : undefined;
  let extDone = false;
  const emitExt = (): void => {
    extDone = true;
    for (const want of shape.ext) {
      const p = item.ext.find((e) => e.key === want.key);
      if (p) out += extPropXml(p);
    }
  };
  for (const def of fieldsOf(kind)) {
    if (!extDone && AFTER_EXT.has(def.el)) emitExt();
    const v = item.f[def.el];
    if (v === undefined) continue;
    const wanted =
      shape.fields.has(def.el) ||
      (all && !(def.type === 'body' && shape.noBodyByDefault)) ||
      (deflt?.has(def.el) ?? false);
    if (!wanted) continue;
    out += valueXml(def, v, shape.bodyType);
  }
  if (!extDone) emitExt();
  return `<t:${kind}>${out}</t:${kind}>`;
}

/** Read an ItemShape/FolderShape element. Unknown FieldURIs are ignored. */
export function parseShape(el: El | undefined, noBodyByDefault: boolean): ItemShape {
  const base = (el?.childText('BaseShape')?.trim() ?? 'Default') as ItemShape['base'];
  const shape: ItemShape = { base, fields: new Set(), uris: new Set(), ext: [], noBodyByDefault };
  const bt = el?.childText('BodyType')?.trim();
  if (bt && bt !== 'Best') shape.bodyType = bt;
  for (const p of el?.child('AdditionalProperties')?.children ?? []) {
    if (p.local === 'ExtendedFieldURI') {
      const uri = extUriAttrs(p);
      shape.ext.push({ key: extKey(uri), uri });
      continue;
    }
    const uri = p.attr('FieldURI');
    if (!uri) continue;
    shape.uris.add(uri);
    if (p.local === 'IndexedFieldURI') {
      // contacts:EmailAddress / PhoneNumber / PhysicalAddress:* → the whole dictionary
      if (uri === 'contacts:EmailAddress') shape.fields.add('EmailAddresses');
      else if (uri === 'contacts:PhoneNumber') shape.fields.add('PhoneNumbers');
      else if (uri.startsWith('contacts:PhysicalAddress')) shape.fields.add('PhysicalAddresses');
      continue;
    }
    const def = FIELD_BY_URI.get(uri);
    if (def) shape.fields.add(def.el);
  }
  return shape;
}
