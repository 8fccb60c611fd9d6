import { APPROVAL_LABELS, KIND_LABELS, TEST_STATUS_LABELS } from './labels';
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_SORT,
  type MailboxFilters,
  type MailboxSort,
  NO_FILTERS,
  PAGE_SIZES,
  SORT_LABELS,
} from './mailbox-query';

/**
 * What the Active Mailboxes list shows, as its address carries it, so a reload or a shared link shows the same
 * list. The page position stays out: cursors are opaque and short-lived.
 */
export interface MailboxView {
  filters: MailboxFilters;
  sort: MailboxSort;
  pageSize: number;
}

export const DEFAULT_VIEW: MailboxView = {
  filters: NO_FILTERS,
  sort: DEFAULT_SORT,
  pageSize: DEFAULT_PAGE_SIZE,
};

/** Each setting's name in the address: short, since people read and share these links. */
const PARAM = {
  q: 'q',
  serverProfileId: 'profile',
  kind: 'kind',
  ownerId: 'owner',
  emailAddressStatus: 'approval',
  incomingEmailStatus: 'incoming',
  outgoingEmailStatus: 'outgoing',
  actStatus: 'act',
  mailboxStatus: 'status',
  sort: 'sort',
  pageSize: 'size',
} as const satisfies Record<keyof MailboxFilters | 'sort' | 'pageSize', string>;

// The API's own limits: longer text would only earn a 400.
const MAX_Q_LENGTH = 200;
const MAX_ID_LENGTH = 128;

/**
 * The view a query string asks for. A link may be old, hand-edited or cut short, so a value the list cannot
 * use is left out (its default applies) rather than refused.
 */
export function mailboxViewOf(search: string): MailboxView {
  const params = new URLSearchParams(search);
  const text = (name: string, maxLength: number) => {
    const value = params.get(name)?.trim() ?? '';
    return value.length <= maxLength ? value : '';
  };
  const choice = <V extends string>(name: string, allowed: Record<V, string>): V | '' => {
    const value = params.get(name);
    return (Object.keys(allowed) as V[]).find((v) => v === value) ?? '';
  };
  const size = params.get(PARAM.pageSize);
  return {
    filters: {
      q: text(PARAM.q, MAX_Q_LENGTH),
      serverProfileId: text(PARAM.serverProfileId, MAX_ID_LENGTH),
      kind: choice(PARAM.kind, KIND_LABELS),
      ownerId: text(PARAM.ownerId, MAX_ID_LENGTH),
      emailAddressStatus: choice(PARAM.emailAddressStatus, APPROVAL_LABELS),
      incomingEmailStatus: choice(PARAM.incomingEmailStatus, TEST_STATUS_LABELS),
      outgoingEmailStatus: choice(PARAM.outgoingEmailStatus, TEST_STATUS_LABELS),
      actStatus: choice(PARAM.actStatus, TEST_STATUS_LABELS),
      mailboxStatus: choice(PARAM.mailboxStatus, TEST_STATUS_LABELS),
    },
    sort: choice(PARAM.sort, SORT_LABELS) || DEFAULT_SORT,
    pageSize: PAGE_SIZES.find((n) => String(n) === size) ?? DEFAULT_PAGE_SIZE,
  };
}

/** The query string for a view ('' or '?…'): only what differs from the defaults, always in the same order. */
export function mailboxSearchOf(view: MailboxView): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(NO_FILTERS) as (keyof MailboxFilters)[]) {
    const value = view.filters[key].trim();
    if (value) params.set(PARAM[key], value);
  }
  if (view.sort !== DEFAULT_SORT) params.set(PARAM.sort, view.sort);
  if (view.pageSize !== DEFAULT_PAGE_SIZE) params.set(PARAM.pageSize, String(view.pageSize));
  const search = params.toString();
  return search ? `?${search}` : '';
}
