import { MAILBOX_SORT_KEYS, MailboxView } from '@ssync/read-models';
import { ValidationFailed } from '../http/errors';
import { ListMailboxesQuery, MailboxSort } from './mailbox.dto';

export interface MailboxStamps {
  createdAt: string;
  updatedAt: string;
}

type SortKey = (typeof MAILBOX_SORT_KEYS)[keyof typeof MAILBOX_SORT_KEYS];
type Status = MailboxView['status'];

interface Row {
  view: MailboxView;
  keys: Record<SortKey, string>;
}

const SORT_KEYS = Object.values(MAILBOX_SORT_KEYS);
const STATUSES: readonly Status[] = ['Active', 'Inactive'];
const DEFAULT_LIMIT = 50;

const EQUAL_FILTERS = [
  'serverProfileId',
  'kind',
  'ownerId',
  'emailAddressStatus',
  'mailboxStatus',
  'incomingEmailStatus',
  'outgoingEmailStatus',
  'actStatus',
] as const;
const FLAG_FILTERS = ['enabledForIncomingEmail', 'enabledForOutgoingEmail', 'enabledForAct'] as const;

/** Rows in (key, id) order; ids are unique, so the order is total and every row has one exact position. */
class SortedRows {
  private constructor(
    private readonly key: SortKey,
    readonly rows: Row[],
  ) {}

  static of(key: SortKey, rows: Row[]): SortedRows {
    return new SortedRows(
      key,
      rows.sort((a, b) => {
        const x = a.keys[key];
        const y = b.keys[key];
        if (x !== y) return x < y ? -1 : 1;
        return a.view.id < b.view.id ? -1 : a.view.id > b.view.id ? 1 : 0;
      }),
    );
  }

  /** The first position whose (key, id) is not below (v, id). */
  lowerBound(v: string, id: string): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.rows[mid] as Row;
      const k = r.keys[this.key];
      if (k < v || (k === v && r.view.id < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first position whose (key, id) is above (v, id). */
  upperBound(v: string, id: string): number {
    const i = this.lowerBound(v, id);
    const r = this.rows[i];
    return r && r.keys[this.key] === v && r.view.id === id ? i + 1 : i;
  }

  insert(row: Row): void {
    this.rows.splice(this.lowerBound(row.keys[this.key], row.view.id), 0, row);
  }

  remove(row: Row): void {
    this.rows.splice(this.positionOf(row), 1);
  }

  /** For a row whose key did not change: same position, new object. */
  replace(old: Row, row: Row): void {
    this.rows[this.positionOf(old)] = row;
  }

  private positionOf(row: Row): number {
    const i = this.lowerBound(row.keys[this.key], row.view.id);
    if (this.rows[i] !== row) throw new Error(`mailbox index lost ${row.view.id} in ${this.key} order`);
    return i;
  }
}

/**
 * Every mailbox's view, kept in each sort order per status as it changes, so a list query (M-2) walks one order
 * from the cursor and stops after a page instead of sorting every mailbox. An event moves its row in an order
 * only when that order's key changed (binary search plus one splice each way); otherwise the row keeps its place.
 * An order is sorted once, by the first query that walks it: until then, as during the restore at start-up, an
 * event only records its row.
 */
export class MailboxIndex {
  private readonly rows = new Map<string, Row>();
  private readonly orders = new Map<Status, Partial<Record<SortKey, SortedRows>>>(
    STATUSES.map((s) => [s, {}]),
  );

  get(id: string): MailboxView | null {
    return this.rows.get(id)?.view ?? null;
  }

  upsert(id: string, view: MailboxView, stamps: MailboxStamps): void {
    const row: Row = {
      view,
      keys: {
        nameLower: view.name.toLowerCase(),
        emailLower: (view.emailAddress ?? '').toLowerCase(),
        createdAt: stamps.createdAt,
        updatedAt: stamps.updatedAt,
      },
    };
    const old = this.rows.get(id);
    this.rows.set(id, row);
    for (const key of SORT_KEYS) {
      const to = this.orders.get(view.status)?.[key];
      if (old && old.view.status === view.status && old.keys[key] === row.keys[key]) {
        to?.replace(old, row);
        continue;
      }
      if (old) this.orders.get(old.view.status)?.[key]?.remove(old);
      to?.insert(row);
    }
  }

  /** M-2: filter, sort (then by id) and cursor paging. */
  list(query: ListMailboxesQuery): { items: MailboxView[]; nextCursor: string | null } {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const sort: MailboxSort = query.sort ?? 'name';
    const descending = sort.startsWith('-');
    const key = MAILBOX_SORT_KEYS[sort.replace(/^-/, '') as keyof typeof MAILBOX_SORT_KEYS];
    const cursor = query.cursor ? decodeCursor(query.cursor, sort) : null;
    const order = this.order(query.status ?? 'Active', key);
    if (!order) return { items: [], nextCursor: null };
    const matches = matcher(query);
    // One more than a page tells whether there is a next one.
    const found: Row[] = [];
    if (descending) {
      const start = cursor ? order.lowerBound(cursor.v, cursor.i) - 1 : order.rows.length - 1;
      for (let i = start; i >= 0 && found.length <= limit; i -= 1) {
        const r = order.rows[i] as Row;
        if (matches(r)) found.push(r);
      }
    } else {
      const start = cursor ? order.upperBound(cursor.v, cursor.i) : 0;
      for (let i = start; i < order.rows.length && found.length <= limit; i += 1) {
        const r = order.rows[i] as Row;
        if (matches(r)) found.push(r);
      }
    }
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      found.length > limit && last
        ? Buffer.from(JSON.stringify({ s: sort, v: last.keys[key], i: last.view.id })).toString('base64url')
        : null;
    return { items: page.map((r) => r.view), nextCursor };
  }

  private order(status: Status, key: SortKey): SortedRows | null {
    const orders = this.orders.get(status);
    if (!orders) return null;
    return (orders[key] ??= SortedRows.of(
      key,
      [...this.rows.values()].filter((r) => r.view.status === status),
    ));
  }
}

/** The query's filters but status, which picks the order walked. */
function matcher(query: ListMailboxesQuery): (r: Row) => boolean {
  const equal: [keyof MailboxView, unknown][] = [];
  for (const f of EQUAL_FILTERS) if (query[f] !== undefined) equal.push([f, query[f]]);
  for (const f of FLAG_FILTERS) if (query[f] !== undefined) equal.push([f, query[f] === 'true']);
  const text = query.q?.toLowerCase();
  return (r) => {
    for (const [f, v] of equal) if (r.view[f] !== v) return false;
    return !text || r.keys.nameLower.includes(text) || r.keys.emailLower.includes(text);
  };
}

function decodeCursor(cursor: string, sort: MailboxSort): { v: string; i: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s: string;
      v: unknown;
      i: unknown;
    };
    if (typeof c.v === 'string' && typeof c.i === 'string' && c.s === sort) return { v: c.v, i: c.i };
  } catch {
    // fall through
  }
  throw new ValidationFailed([
    { field: 'cursor', rule: 'cursor', message: 'is not a cursor this API returned for this sort' },
  ]);
}
