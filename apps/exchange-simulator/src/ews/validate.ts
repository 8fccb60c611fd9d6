import { El, NS } from '../xml/xml';

/**
 * Request checks derived from messages.xsd/types.xsd for the operations the simulator implements: the operation's
 * children in schema order and namespace, required elements and attributes, enumerations, booleans and integer
 * ranges that the schema constrains. It is a hand-compiled subset of the schema (running libxml2 on every request
 * costs ~1 s for the 700 kB schema); the tests validate the simulator's responses against the full XSD.
 */

type Particle = { names: string[]; min: number; max: number; ns: 'm' | 't' };
const p = (names: string, min = 1, max = 1, ns: 'm' | 't' = 'm'): Particle => ({
  names: names.split('|'),
  min,
  max,
  ns,
});

const FOLDER_IDS = ['FolderId', 'DistinguishedFolderId'];
const ITEM_IDS = ['ItemId', 'OccurrenceItemId', 'RecurringMasterItemId'];
const SHAPES = ['IdOnly', 'Default', 'AllProperties', 'PcxPeopleSearch'];
const DISTINGUISHED = new Set(
  'calendar contacts deleteditems drafts inbox journal notes outbox sentitems tasks msgfolderroot publicfoldersroot root junkemail searchfolders voicemail recoverableitemsroot recoverableitemsdeletions recoverableitemsversions recoverableitemspurges archiveroot archivemsgfolderroot archivedeleteditems archiveinbox archiverecoverableitemsroot archiverecoverableitemsdeletions archiverecoverableitemsversions archiverecoverableitemspurges syncissues conflicts localfailures serverfailures recipientcache quickcontacts conversationhistory adminauditlogs todosearch mycontacts directory imcontactlist peopleconnect favorites'.split(
    ' ',
  ),
);

interface OpSpec {
  seq: Particle[];
  attrs?: Record<string, { required?: boolean; values?: string[] }>;
  check?: (op: El) => string | undefined;
}

const DISPOSITION = ['SaveOnly', 'SendOnly', 'SendAndSaveCopy'];
const OPS: Record<string, OpSpec> = {
  GetFolder: { seq: [p('FolderShape'), p('FolderIds')] },
  FindFolder: {
    seq: [
      p('FolderShape'),
      p('IndexedPageFolderView|FractionalPageFolderView', 0),
      p('Restriction', 0),
      p('ParentFolderIds'),
    ],
    attrs: { Traversal: { required: true, values: ['Shallow', 'Deep', 'SoftDeleted'] } },
  },
  CreateFolder: { seq: [p('ParentFolderId'), p('Folders')] },
  FindItem: {
    seq: [
      p('ItemShape'),
      p(
        'IndexedPageItemView|FractionalPageItemView|SeekToConditionPageItemView|CalendarView|ContactsView',
        0,
      ),
      p('GroupBy|DistinguishedGroupBy', 0),
      p('Restriction', 0),
      p('SortOrder', 0),
      p('ParentFolderIds'),
      p('QueryString', 0),
    ],
    attrs: { Traversal: { required: true, values: ['Shallow', 'SoftDeleted', 'Associated'] } },
  },
  GetItem: { seq: [p('ItemShape'), p('ItemIds')] },
  SyncFolderItems: {
    seq: [
      p('ItemShape'),
      p('SyncFolderId'),
      p('SyncState', 0),
      p('Ignore', 0),
      p('MaxChangesReturned'),
      p('SyncScope', 0),
    ],
    check: (op) => {
      const n = Number(op.childText('MaxChangesReturned'));
      if (!Number.isInteger(n) || n < 1 || n > 512)
        return `MaxChangesReturned must be an integer from 1 to 512`;
      const scope = op.childText('SyncScope');
      if (scope !== undefined && !['NormalItems', 'NormalAndAssociatedItems'].includes(scope.trim()))
        return `invalid SyncScope '${scope}'`;
      return undefined;
    },
  },
  CreateItem: {
    seq: [p('SavedItemFolderId', 0), p('Items')],
    attrs: {
      MessageDisposition: { values: DISPOSITION },
      SendMeetingInvitations: { values: ['SendToNone', 'SendOnlyToAll', 'SendToAllAndSaveCopy'] },
    },
  },
  UpdateItem: {
    seq: [p('SavedItemFolderId', 0), p('ItemChanges')],
    attrs: {
      ConflictResolution: { required: true, values: ['NeverOverwrite', 'AutoResolve', 'AlwaysOverwrite'] },
      MessageDisposition: { values: DISPOSITION },
      SendMeetingInvitationsOrCancellations: {
        values: [
          'SendToNone',
          'SendOnlyToAll',
          'SendOnlyToChanged',
          'SendToAllAndSaveCopy',
          'SendToChangedAndSaveCopy',
        ],
      },
    },
  },
  MoveItem: { seq: [p('ToFolderId'), p('ItemIds'), p('ReturnNewItemIds', 0)] },
  DeleteItem: {
    seq: [p('ItemIds')],
    attrs: {
      DeleteType: { required: true, values: ['HardDelete', 'SoftDelete', 'MoveToDeletedItems'] },
      SendMeetingCancellations: { values: ['SendToNone', 'SendOnlyToAll', 'SendToAllAndSaveCopy'] },
      AffectedTaskOccurrences: { values: ['AllOccurrences', 'SpecifiedOccurrenceOnly'] },
    },
  },
  Subscribe: { seq: [p('PullSubscriptionRequest|PushSubscriptionRequest|StreamingSubscriptionRequest')] },
  GetStreamingEvents: {
    seq: [p('SubscriptionIds'), p('ConnectionTimeout')],
    check: (op) => {
      const n = Number(op.childText('ConnectionTimeout'));
      return Number.isInteger(n) && n >= 1 && n <= 30
        ? undefined
        : 'ConnectionTimeout must be an integer from 1 to 30';
    },
  },
};

function checkSequence(parent: El, seq: Particle[]): string | undefined {
  let i = 0;
  let count = 0;
  for (const c of parent.children) {
    while (i < seq.length && !(seq[i]?.names.includes(c.local) ?? false)) {
      const part = seq[i];
      if (part && count < part.min)
        return `element '${part.names.join('|')}' is missing before '${c.local}' in '${parent.local}'`;
      i++;
      count = 0;
    }
    const part = seq[i];
    if (!part) return `element '${c.local}' is not expected in '${parent.local}'`;
    if (c.ns !== (part.ns === 'm' ? NS.m : NS.t))
      return `element '${c.local}' is in the wrong namespace ('${c.ns}')`;
    count++;
    if (count > part.max) return `element '${c.local}' occurs too often in '${parent.local}'`;
  }
  for (; i < seq.length; i++) {
    const part = seq[i];
    if (part && count < part.min) return `element '${part.names.join('|')}' is missing in '${parent.local}'`;
    count = 0;
  }
  return undefined;
}

function checkFolderIds(list: El | undefined, where: string, single = false): string | undefined {
  if (!list) return undefined;
  if (!list.children.length) return `'${where}' must contain a folder id`;
  if (single && list.children.length > 1) return `'${where}' must contain one folder id`;
  for (const f of list.children) {
    if (f.ns !== NS.t) return `'${f.local}' in '${where}' is in the wrong namespace`;
    if (!FOLDER_IDS.includes(f.local) && f.local !== 'AddressListId')
      return `element '${f.local}' is not expected in '${where}'`;
    const id = f.attr('Id');
    if (id === undefined) return `attribute 'Id' is required on '${f.local}'`;
    if (f.local === 'DistinguishedFolderId' && !DISTINGUISHED.has(id))
      return `'${id}' is not a valid DistinguishedFolderIdNameType value`;
  }
  return undefined;
}

function checkItemIds(list: El | undefined, where: string): string | undefined {
  if (!list) return undefined;
  if (!list.children.length) return `'${where}' must contain an item id`;
  for (const i of list.children) {
    if (i.ns !== NS.t || !ITEM_IDS.includes(i.local))
      return `element '${i.local}' is not expected in '${where}'`;
    if (i.local === 'ItemId' && i.attr('Id') === undefined) return `attribute 'Id' is required on 'ItemId'`;
  }
  return undefined;
}

function checkShape(shape: El | undefined): string | undefined {
  if (!shape) return undefined;
  const base = shape.child('BaseShape');
  if (!base || shape.children[0] !== base) return `'BaseShape' must be the first element of '${shape.local}'`;
  if (!SHAPES.includes(base.text.trim())) return `'${base.text}' is not a valid DefaultShapeNamesType value`;
  return undefined;
}

const BOOL = /^\s*(true|false|1|0)\s*$/;
const BOOL_ELEMENTS = new Set([
  'IsRead',
  'ReturnNewItemIds',
  'IsAllDayEvent',
  'ReminderIsSet',
  'IsComplete',
  'IsDraft',
  'IncludeMimeContent',
]);
function checkBooleans(el: El): string | undefined {
  for (const c of el.children) {
    if (BOOL_ELEMENTS.has(c.local) && !c.children.length && !BOOL.test(c.text))
      return `'${c.text}' is not a valid xs:boolean value for '${c.local}'`;
    const r = checkBooleans(c);
    if (r) return r;
  }
  return undefined;
}

/** Returns a schema-violation message for an unacceptable request, or undefined. */
export function validateRequest(env: El): string | undefined {
  const header = env.child('Header');
  for (const h of header?.children ?? []) {
    if (h.local === 'RequestServerVersion' && h.attr('Version') === undefined)
      return `attribute 'Version' is required on 'RequestServerVersion'`;
    if (h.local === 'ExchangeImpersonation') {
      const sid = h.child('ConnectingSID');
      if (!sid || sid.children.length !== 1)
        return `'ConnectingSID' must contain exactly one of PrincipalName, SID, PrimarySmtpAddress, SmtpAddress`;
      const c = sid.children[0];
      if (!c || !['PrincipalName', 'SID', 'PrimarySmtpAddress', 'SmtpAddress'].includes(c.local))
        return `element '${c?.local}' is not expected in 'ConnectingSID'`;
    }
  }
  const body = env.child('Body');
  if (!body || body.children.length !== 1) return `the SOAP Body must contain exactly one operation element`;
  const op = body.children[0];
  if (!op) return 'missing operation';
  const spec = OPS[op.local];
  if (!spec) return undefined; // unknown operations are answered by the dispatcher
  for (const [name, rule] of Object.entries(spec.attrs ?? {})) {
    const v = op.attr(name);
    if (v === undefined) {
      if (rule.required) return `attribute '${name}' is required on '${op.local}'`;
      continue;
    }
    if (rule.values && !rule.values.includes(v)) return `'${v}' is not a valid value of attribute '${name}'`;
  }
  return (
    checkSequence(op, spec.seq) ??
    checkShape(op.child('FolderShape') ?? op.child('ItemShape')) ??
    checkFolderIds(op.child('FolderIds'), 'FolderIds') ??
    checkFolderIds(op.child('ParentFolderIds'), 'ParentFolderIds') ??
    checkFolderIds(op.child('ParentFolderId'), 'ParentFolderId', true) ??
    checkFolderIds(op.child('SyncFolderId'), 'SyncFolderId', true) ??
    checkFolderIds(op.child('ToFolderId'), 'ToFolderId', true) ??
    checkFolderIds(op.child('SavedItemFolderId'), 'SavedItemFolderId', true) ??
    checkItemIds(op.child('ItemIds'), 'ItemIds') ??
    (op.child('Items') && !op.child('Items')?.children.length ? `'Items' must contain an item` : undefined) ??
    (op.child('ItemChanges') && !op.child('ItemChanges')?.children.length
      ? `'ItemChanges' must contain an ItemChange`
      : undefined) ??
    checkBooleans(op) ??
    spec.check?.(op)
  );
}
