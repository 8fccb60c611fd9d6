import type { BulkJob, Mailbox, Schemas } from '../api/client';
import type { paths } from '../api/schema';

/** GET /api/v1/mailboxes's query, as the API's document states it. */
export type MailboxListQuery = NonNullable<paths['/api/v1/mailboxes']['get']['parameters']['query']>;
export type MailboxSort = NonNullable<MailboxListQuery['sort']>;
type TestStatus = Schemas['MailboxTestStatus'];

/** The list's filters as the page holds them: '' is "any". */
export interface MailboxFilters {
  q: string;
  serverProfileId: string;
  kind: '' | Schemas['MailboxKind'];
  ownerId: string;
  emailAddressStatus: '' | Schemas['EmailAddressStatus'];
  incomingEmailStatus: '' | TestStatus;
  outgoingEmailStatus: '' | TestStatus;
  actStatus: '' | TestStatus;
  mailboxStatus: '' | TestStatus;
}

export const NO_FILTERS: MailboxFilters = {
  q: '',
  serverProfileId: '',
  kind: '',
  ownerId: '',
  emailAddressStatus: '',
  incomingEmailStatus: '',
  outgoingEmailStatus: '',
  actStatus: '',
  mailboxStatus: '',
};

export const PAGE_SIZES = [5, 25, 50, 100, 250, 500] as const;
export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_SORT: MailboxSort = 'name';

export const SORT_LABELS: Record<MailboxSort, string> = {
  name: 'Name (A to Z)',
  '-name': 'Name (Z to A)',
  emailAddress: 'Email Address (A to Z)',
  '-emailAddress': 'Email Address (Z to A)',
  updatedAt: 'Modified (oldest first)',
  '-updatedAt': 'Modified (newest first)',
  createdAt: 'Created (oldest first)',
  '-createdAt': 'Created (newest first)',
};

/**
 * The Active Mailboxes page the API is asked for: only the filters that are set (a blank text field filters
 * nothing), the sort, the page size and where the page starts.
 */
export function listQuery(
  filters: MailboxFilters,
  sort: MailboxSort,
  limit: number,
  cursor?: string,
): MailboxListQuery {
  const query: MailboxListQuery = { status: 'Active', sort, limit };
  const q = filters.q.trim();
  const ownerId = filters.ownerId.trim();
  if (q) query.q = q;
  if (ownerId) query.ownerId = ownerId;
  if (filters.serverProfileId) query.serverProfileId = filters.serverProfileId;
  if (filters.kind) query.kind = filters.kind;
  if (filters.emailAddressStatus) query.emailAddressStatus = filters.emailAddressStatus;
  if (filters.incomingEmailStatus) query.incomingEmailStatus = filters.incomingEmailStatus;
  if (filters.outgoingEmailStatus) query.outgoingEmailStatus = filters.outgoingEmailStatus;
  if (filters.actStatus) query.actStatus = filters.actStatus;
  if (filters.mailboxStatus) query.mailboxStatus = filters.mailboxStatus;
  if (cursor) query.cursor = cursor;
  return query;
}

export type SortableColumn = 'name' | 'emailAddress';

/** A click on a column's header: that column ascending, or the other way round if it already sorts by it. */
export function sortByColumn(current: MailboxSort, column: SortableColumn): MailboxSort {
  return current === column ? `-${column}` : column;
}

export function ariaSort(current: MailboxSort, column: SortableColumn): 'ascending' | 'descending' | 'none' {
  if (current === column) return 'ascending';
  return current === `-${column}` ? 'descending' : 'none';
}

/**
 * Cursor paging walks forward only, so going back means remembering the cursors that led here: `cursors[i]`
 * opened page i + 2 (page 1 needs none).
 */
export interface Paging {
  cursors: readonly string[];
}
export const FIRST_PAGE: Paging = { cursors: [] };
export const pageNumber = (p: Paging): number => p.cursors.length + 1;
export const currentCursor = (p: Paging): string | undefined => p.cursors[p.cursors.length - 1];
export const nextPage = (p: Paging, nextCursor: string): Paging => ({ cursors: [...p.cursors, nextCursor] });
export const previousPage = (p: Paging): Paging => ({ cursors: p.cursors.slice(0, -1) });

/** The mailboxes an administrator picked, by id, across pages and filters, with the row last seen for each. */
export type Selection = ReadonlyMap<string, Mailbox>;

export function toggleOne(selection: Selection, mailbox: Mailbox): Selection {
  const next = new Map(selection);
  if (!next.delete(mailbox.id)) next.set(mailbox.id, mailbox);
  return next;
}

/** The header's checkbox: a page wholly selected is unselected, otherwise all of it is selected. */
export function togglePage(selection: Selection, page: readonly Mailbox[]): Selection {
  const next = new Map(selection);
  if (pageSelection(selection, page) === 'all') for (const m of page) next.delete(m.id);
  else for (const m of page) next.set(m.id, m);
  return next;
}

export function pageSelection(selection: Selection, page: readonly Mailbox[]): 'all' | 'some' | 'none' {
  const picked = page.filter((m) => selection.has(m.id)).length;
  if (picked === 0) return 'none';
  return picked === page.length ? 'all' : 'some';
}

/** Selected rows that a newer page shows take its state, so results name them as they are now. */
export function refreshSelection(selection: Selection, page: readonly Mailbox[]): Selection {
  if (!page.some((m) => selection.has(m.id) && selection.get(m.id) !== m)) return selection;
  const next = new Map(selection);
  for (const m of page) if (next.has(m.id)) next.set(m.id, m);
  return next;
}

/** Mailboxes a Deactivate job did (or found inactive) leave the Active Mailboxes list, and so the selection. */
export function withoutDeactivated(selection: Selection, jobs: readonly BulkJob[]): Selection {
  const gone = jobs
    .filter((j) => j.type === 'DeactivateMailboxes')
    .flatMap((j) => j.results.filter((r) => r.outcome === 'Done').map((r) => r.mailboxId));
  if (!gone.some((id) => selection.has(id))) return selection;
  const next = new Map(selection);
  for (const id of gone) next.delete(id);
  return next;
}
