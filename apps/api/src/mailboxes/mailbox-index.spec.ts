import { MailboxView } from '@ssync/read-models';
import { ValidationFailed } from '../http/errors';
import { MailboxIndex, MailboxStamps } from './mailbox-index';
import { ListMailboxesQuery, MAILBOX_SORTS, MailboxSort } from './mailbox.dto';

/** Deterministic randomness (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function view(id: string, changes: Partial<MailboxView> = {}): MailboxView {
  return {
    id,
    status: 'Active',
    version: 1,
    kind: 'User',
    name: id,
    emailAddress: null,
    ownerId: 'o-1',
    serverProfileId: null,
    incomingEmailDeliveryMethod: 'ServerSideSync',
    outgoingEmailDeliveryMethod: 'ServerSideSync',
    actDeliveryMethod: 'None',
    syncOnlyFromThisOrg: false,
    emailAddressStatus: 'Empty',
    credentialsUserName: null,
    credentialsSet: false,
    incomingEmailStatus: 'NotRun',
    incomingEmailStatusReason: null,
    outgoingEmailStatus: 'NotRun',
    outgoingEmailStatusReason: null,
    actStatus: 'NotRun',
    actStatusReason: null,
    mailboxStatus: 'NotRun',
    mailboxStatusReason: null,
    enabledForIncomingEmail: false,
    enabledForOutgoingEmail: false,
    enabledForAct: false,
    testPending: false,
    testId: null,
    testRequestedAt: null,
    testAreas: [],
    testAttempt: 0,
    nextTestAttemptAt: null,
    lastSyncAt: null,
    nextSyncDueAt: null,
    lastSyncError: null,
    itemsProcessedLastSync: 0,
    itemsFailedLastSync: 0,
    ...changes,
  };
}

/** The list as M-2 states it: filter everything, sort everything, slice a page. */
class Reference {
  readonly mailboxes = new Map<string, { view: MailboxView; stamps: MailboxStamps }>();

  list(query: ListMailboxesQuery): { items: MailboxView[]; nextCursor: string | null } {
    const limit = query.limit ?? 50;
    const sort = query.sort ?? 'name';
    const field = sort.replace(/^-/, '');
    const sign = sort.startsWith('-') ? -1 : 1;
    const keyOf = ({ view: v, stamps }: { view: MailboxView; stamps: MailboxStamps }): string =>
      field === 'name'
        ? v.name.toLowerCase()
        : field === 'emailAddress'
          ? (v.emailAddress ?? '').toLowerCase()
          : field === 'createdAt'
            ? stamps.createdAt
            : stamps.updatedAt;
    const compare = (a: [string, string], b: [string, string]): number =>
      sign * (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
    const cursor = query.cursor
      ? (JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) as { v: string; i: string })
      : null;
    const q = query.q?.toLowerCase();
    const flag = (value: 'true' | 'false' | undefined, actual: boolean) =>
      value === undefined || (value === 'true') === actual;
    const all = [...this.mailboxes.values()]
      .filter(({ view: v }) => v.status === (query.status ?? 'Active'))
      .filter(({ view: v }) => query.kind === undefined || v.kind === query.kind)
      .filter(({ view: v }) => query.ownerId === undefined || v.ownerId === query.ownerId)
      .filter(
        ({ view: v }) => query.serverProfileId === undefined || v.serverProfileId === query.serverProfileId,
      )
      .filter(({ view: v }) => query.mailboxStatus === undefined || v.mailboxStatus === query.mailboxStatus)
      .filter(({ view: v }) => flag(query.enabledForIncomingEmail, v.enabledForIncomingEmail))
      .filter(
        ({ view: v }) =>
          !q || v.name.toLowerCase().includes(q) || (v.emailAddress ?? '').toLowerCase().includes(q),
      )
      .map((m) => ({ view: m.view, at: [keyOf(m), m.view.id] as [string, string] }))
      .filter((m) => !cursor || compare(m.at, [cursor.v, cursor.i]) > 0)
      .sort((a, b) => compare(a.at, b.at));
    const page = all.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      all.length > limit && last
        ? Buffer.from(JSON.stringify({ s: sort, v: last.at[0], i: last.at[1] })).toString('base64url')
        : null;
    return { items: page.map((m) => m.view), nextCursor };
  }
}

const STATUSES = ['Active', 'Inactive'] as const;
const NAMES = ['Alice', 'alice', 'Bob', 'bob smith', 'Carol', 'Zoë', 'Ärger', 'queue', 'Queue', ''];
const EMAILS = [null, '', 'alice@contoso.com', 'ALICE@contoso.com', 'bob@fabrikam.com', 'q@contoso.com'];
const FILTERS: ListMailboxesQuery[] = [
  {},
  { status: 'Inactive' },
  { kind: 'Queue' },
  { q: 'ali' },
  { q: 'CONTOSO' },
  { serverProfileId: 'p-1', enabledForIncomingEmail: 'true' },
  { ownerId: 'o-2', mailboxStatus: 'Success' },
  { enabledForIncomingEmail: 'false', status: 'Inactive' },
  { q: 'nobody' },
];

/** Feeds the same random history to the index and the reference: inserts, renames, status and flag changes. */
function history(seed: number, mailboxes: number, changes: number, queryHalfway: boolean) {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const index = new MailboxIndex();
  const reference = new Reference();
  // Coarse clock: many mailboxes share a timestamp, so the id decides their order.
  let clock = 0;
  const at = () => new Date(Date.UTC(2025, 0, 1) + Math.floor((clock += next() * 3)) * 1000).toISOString();
  const apply = (id: string, v: MailboxView) => {
    const time = at();
    const stamps = { createdAt: reference.mailboxes.get(id)?.stamps.createdAt ?? time, updatedAt: time };
    index.upsert(id, v, stamps);
    reference.mailboxes.set(id, { view: v, stamps });
  };
  const fresh = (id: string) =>
    view(id, {
      name: pick(NAMES),
      emailAddress: pick(EMAILS),
      kind: pick(['User', 'Queue'] as const),
      ownerId: pick(['o-1', 'o-2', 'o-3']),
      serverProfileId: pick([null, 'p-1', 'p-2']),
    });
  for (let i = 0; i < mailboxes; i += 1) {
    // A query halfway sorts every order; from then on the index keeps them in order event by event.
    if (queryHalfway && i === Math.floor(mailboxes / 2))
      for (const sort of MAILBOX_SORTS) for (const status of STATUSES) index.list({ sort, status });
    const id = `mbx-${Math.floor(next() * 1e6)
      .toString(36)
      .padStart(4, '0')}-${i}`;
    apply(id, fresh(id));
  }
  const ids = [...reference.mailboxes.keys()];
  const churn = (changes: number) => {
    for (let i = 0; i < changes; i += 1) {
      const id = pick(ids);
      const current = reference.mailboxes.get(id)?.view ?? fresh(id);
      const change = pick([
        { name: pick(NAMES) },
        { emailAddress: pick(EMAILS) },
        { status: pick(['Active', 'Inactive'] as const) },
        {
          enabledForIncomingEmail: next() < 0.5,
          mailboxStatus: pick(['NotRun', 'Success', 'Failure'] as const),
        },
        { ownerId: pick(['o-1', 'o-2', 'o-3']) },
        {},
      ]);
      apply(id, { ...current, ...change, version: current.version + 1 });
    }
  };
  churn(changes);
  return { index, reference, churn };
}

/** Every page of a query, following nextCursor, checked page by page against the reference. */
function walk(
  index: MailboxIndex,
  reference: Reference,
  query: ListMailboxesQuery,
  betweenPages = () => {},
): string[] {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages += 1) {
    const page = index.list({ ...query, cursor });
    expect(page).toEqual(reference.list({ ...query, cursor }));
    ids.push(...page.items.map((m) => m.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
    betweenPages();
  }
  throw new Error('paging did not end');
}

describe('MailboxIndex (M-2 list without a sort per query)', () => {
  const { index, reference } = history(7, 400, 3000, true);

  it('answers every sort and filter exactly like filtering and sorting everything', () => {
    for (const sort of MAILBOX_SORTS)
      for (const filter of FILTERS)
        for (const limit of [undefined, 1, 3, 500]) {
          const query = { ...filter, sort, limit };
          expect(index.list(query)).toEqual(reference.list(query));
        }
  });

  it('pages through every mailbox that matches, each once, in the sort order', () => {
    for (const sort of MAILBOX_SORTS)
      for (const filter of FILTERS) {
        const paged = walk(index, reference, { ...filter, sort, limit: 7 });
        const whole = reference.list({ ...filter, sort, limit: 100_000 }).items.map((m) => m.id);
        expect(paged).toEqual(whole);
        expect(new Set(paged).size).toBe(paged.length);
      }
  });

  it('starts after a cursor whose mailbox has since moved or whose value no mailbox has', () => {
    const cursors = [
      { v: 'bob', i: 'mbx-m' },
      { v: 'alice', i: '' },
      { v: '', i: '' },
      { v: '\uffff', i: '' },
      { v: '2025-01-01T00:10:00.000Z', i: 'mbx-a' },
    ];
    for (const sort of MAILBOX_SORTS)
      for (const { v, i } of cursors) {
        const cursor = Buffer.from(JSON.stringify({ s: sort, v, i })).toString('base64url');
        for (const filter of [{}, { q: 'contoso' }]) {
          const query = { ...filter, sort, limit: 5, cursor };
          expect(index.list(query)).toEqual(reference.list(query));
        }
      }
  });

  it('keeps answering like the reference while mailboxes change between pages', () => {
    for (const seed of [1, 2, 3]) {
      // Queried only after all its changes: each order is first sorted whole, then kept while pages are read.
      const small = history(seed, 60, 600, false);
      for (const sort of MAILBOX_SORTS)
        for (const filter of FILTERS)
          walk(small.index, small.reference, { ...filter, sort, limit: 4 }, () => small.churn(5));
    }
  });

  it('ties on the sort key are ordered by id, both ways', () => {
    const idx = new MailboxIndex();
    const stamps = { createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' };
    for (const id of ['c', 'a', 'b']) idx.upsert(id, view(id, { name: 'Same' }), stamps);
    expect(idx.list({ sort: 'name' }).items.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(idx.list({ sort: '-createdAt' }).items.map((m) => m.id)).toEqual(['c', 'b', 'a']);
  });

  it('moves a mailbox between the Active and Inactive lists when its status changes', () => {
    const idx = new MailboxIndex();
    const stamps = { createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' };
    idx.upsert('a', view('a'), stamps);
    idx.upsert('b', view('b'), stamps);
    idx.upsert('a', view('a', { status: 'Inactive', version: 2 }), stamps);
    expect(idx.list({}).items.map((m) => m.id)).toEqual(['b']);
    expect(idx.list({ status: 'Inactive' }).items).toEqual([view('a', { status: 'Inactive', version: 2 })]);
    expect(idx.get('a')?.version).toBe(2);
    expect(idx.get('nope')).toBeNull();
  });

  it('refuses a cursor from another sort, or not from this API, as before', () => {
    const first = index.list({ sort: 'name', limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    const other: MailboxSort = '-name';
    for (const cursor of [
      first.nextCursor ?? '',
      'not-a-cursor',
      Buffer.from('null').toString('base64url'),
    ]) {
      let thrown: unknown;
      try {
        index.list({ sort: other, cursor });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ValidationFailed);
      expect((thrown as ValidationFailed).violations).toEqual([
        { field: 'cursor', rule: 'cursor', message: 'is not a cursor this API returned for this sort' },
      ]);
    }
  });
});
