import { FormEvent, useEffect, useRef, useState } from 'react';
import { type Profile, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { useSession } from '../auth/use-session';
import { JobResults } from '../jobs/JobResults';
import { Link, navigate } from '../router';
import { mailboxPath, mailboxesPath } from '../routes';
import { ChoiceField, Field } from '../ui/Field';
import { ProblemNotice } from '../ui/Notice';
import { useLoad } from '../ui/use-load';
import { ApplyDefaultsDialog, BulkEditDialog, ConfirmDialog } from './BulkDialogs';
import {
  ACT_LABELS,
  APPROVAL_LABELS,
  INCOMING_LABELS,
  KIND_LABELS,
  OUTGOING_LABELS,
  TEST_STATUS_LABELS,
  timeText,
} from './labels';
import {
  FIRST_PAGE,
  type MailboxFilters,
  type MailboxSort,
  NO_FILTERS,
  PAGE_SIZES,
  type Paging,
  SORT_LABELS,
  type Selection,
  type SortableColumn,
  ariaSort,
  currentCursor,
  listQuery,
  nextPage,
  pageNumber,
  pageSelection,
  previousPage,
  refreshSelection,
  sortByColumn,
  toggleOne,
  togglePage,
  withoutDeactivated,
} from './mailbox-query';
import { type MailboxView, mailboxSearchOf } from './mailbox-url';

type DialogName = 'apply-defaults' | 'edit' | 'approve' | 'reject' | 'test' | 'deactivate';

/** The bulk job the panel above the list follows. */
interface Run {
  key: number;
  title: string;
  jobId: string;
  known: Selection;
}

const ANY = '(any)';
const withAny = <V extends string>(labels: Record<V, string>) =>
  ({ '': ANY, ...labels }) as Record<'' | V, string>;

/** Settings › Email Configuration › Mailboxes › Active Mailboxes (M-2…M-6). */
export function MailboxesPage({ view }: { view: MailboxView }) {
  const api = useApi();
  const { filters, sort, pageSize } = view;
  const [draft, setDraft] = useState({ q: filters.q, ownerId: filters.ownerId });
  // Paging belongs to the view it was walked in: another view (a filter set here, or the menu's link) starts at
  // its first page, since a cursor answers only the question it came from.
  const viewKey = mailboxSearchOf(view);
  const [walked, setWalked] = useState<{ viewKey: string; paging: Paging }>({ viewKey, paging: FIRST_PAGE });
  if (walked.viewKey !== viewKey) setWalked({ viewKey, paging: FIRST_PAGE });
  const paging = walked.viewKey === viewKey ? walked.paging : FIRST_PAGE;
  const setPaging = (next: Paging) => setWalked({ viewKey, paging: next });
  const [selection, setSelection] = useState<Selection>(new Map());
  const [dialog, setDialog] = useState<DialogName | null>(null);
  const [run, setRun] = useState<Run | null>(null);

  const query = listQuery(filters, sort, pageSize, currentCursor(paging));
  const list = useLoad(JSON.stringify(query), () =>
    unwrap(api.GET('/api/v1/mailboxes', { params: { query } })),
  );
  const profiles = useLoad('active-profiles', () =>
    unwrap(api.GET('/api/v1/email-server-profiles', { params: { query: { status: 'Active', limit: 200 } } })),
  );
  const profileList: Profile[] = profiles.data?.items ?? [];
  const profileName = new Map(profileList.map((p) => [p.id, p.name]));
  const items = list.data?.items ?? [];

  useEffect(() => {
    document.title = 'Active Mailboxes · ssync';
  }, []);
  // The text fields follow the address when it changes under them (Clear filters, the menu's link).
  useEffect(() => {
    setDraft({ q: filters.q, ownerId: filters.ownerId });
  }, [filters.q, filters.ownerId]);
  useEffect(() => {
    if (list.data) setSelection((s) => refreshSelection(s, list.data?.items ?? []));
  }, [list.data]);

  // The address holds the view; replacing it, not pushing, keeps Back for leaving the page.
  const show = (next: Partial<MailboxView>) =>
    navigate(mailboxesPath({ ...view, ...next }), { replace: true });
  const refine = (next: Partial<MailboxFilters>) => show({ filters: { ...filters, ...next } });
  const resort = (next: MailboxSort) => show({ sort: next });
  const search = (e: FormEvent) => {
    e.preventDefault();
    refine(draft);
  };

  const ids = [...selection.keys()];
  const startJob = async (title: string, pending: Promise<{ jobId: string }>) => {
    const { jobId } = await pending;
    setRun({ key: Date.now(), title, jobId, known: selection });
  };

  const { session } = useSession();
  const count = selection.size;
  const none = count === 0;
  const closeDialog = () => setDialog(null);

  return (
    <>
      <h1 tabIndex={-1}>Active Mailboxes</h1>
      {session?.userDepth.includes('MailboxRead') && (
        <p className="lede">
          You see only the mailboxes you own: your MailboxRead privilege is at user depth.
        </p>
      )}
      <div className="commands" role="toolbar" aria-label="Mailbox commands">
        <button type="button" disabled={none} onClick={() => setDialog('apply-defaults')}>
          Apply Default Email Settings
        </button>
        <button type="button" disabled={none} onClick={() => setDialog('edit')}>
          Edit
        </button>
        <button type="button" disabled={none} onClick={() => setDialog('test')}>
          Test &amp; Enable Mailboxes
        </button>
        <MoreCommands disabled={none} onPick={setDialog} />
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <p className="selection" role="status">
        {none ? 'No mailboxes selected.' : `${count} mailbox${count === 1 ? '' : 'es'} selected.`}{' '}
        {!none && (
          <button type="button" className="link" onClick={() => setSelection(new Map())}>
            Clear selection
          </button>
        )}
      </p>

      {run && (
        <JobResults
          key={run.key}
          idPrefix="bulk"
          title={run.title}
          jobIds={[run.jobId]}
          lookup={{}}
          known={run.known}
          onDone={(jobs) => {
            setSelection((s) => withoutDeactivated(s, jobs));
            list.reload();
          }}
        />
      )}

      <form className="filters" role="search" aria-label="Filter mailboxes" noValidate onSubmit={search}>
        <Field id="mailboxes-q" label="Search" hint="Text in the name or the email address">
          {(control) => (
            <input
              {...control}
              type="search"
              value={draft.q}
              onChange={(e) => setDraft({ ...draft, q: e.target.value })}
            />
          )}
        </Field>
        <Field id="mailboxes-ownerId" label="Owner">
          {(control) => (
            <input
              {...control}
              value={draft.ownerId}
              onChange={(e) => setDraft({ ...draft, ownerId: e.target.value })}
            />
          )}
        </Field>
        <Field id="mailboxes-serverProfileId" label="Server Profile">
          {(control) => (
            <select
              {...control}
              value={filters.serverProfileId}
              onChange={(e) => refine({ serverProfileId: e.target.value })}
            >
              <option value="">{ANY}</option>
              {/* A link may name a profile this list lacks: show its id rather than claim "(any)". */}
              {filters.serverProfileId && !profileName.has(filters.serverProfileId) && (
                <option value={filters.serverProfileId}>{filters.serverProfileId}</option>
              )}
              {profileList.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ChoiceField
          id="mailboxes-kind"
          label="Type"
          value={filters.kind}
          options={withAny(KIND_LABELS)}
          onChange={(kind) => refine({ kind })}
        />
        <ChoiceField
          id="mailboxes-emailAddressStatus"
          label="Email Address Status"
          value={filters.emailAddressStatus}
          options={withAny(APPROVAL_LABELS)}
          onChange={(emailAddressStatus) => refine({ emailAddressStatus })}
        />
        <ChoiceField
          id="mailboxes-incomingEmailStatus"
          label="Incoming Email Status"
          value={filters.incomingEmailStatus}
          options={withAny(TEST_STATUS_LABELS)}
          onChange={(incomingEmailStatus) => refine({ incomingEmailStatus })}
        />
        <ChoiceField
          id="mailboxes-outgoingEmailStatus"
          label="Outgoing Email Status"
          value={filters.outgoingEmailStatus}
          options={withAny(TEST_STATUS_LABELS)}
          onChange={(outgoingEmailStatus) => refine({ outgoingEmailStatus })}
        />
        <ChoiceField
          id="mailboxes-actStatus"
          label="Appointments, Contacts, and Tasks Status"
          value={filters.actStatus}
          options={withAny(TEST_STATUS_LABELS)}
          onChange={(actStatus) => refine({ actStatus })}
        />
        <ChoiceField
          id="mailboxes-mailboxStatus"
          label="Mailbox Status"
          value={filters.mailboxStatus}
          options={withAny(TEST_STATUS_LABELS)}
          onChange={(mailboxStatus) => refine({ mailboxStatus })}
        />
        <ChoiceField id="mailboxes-sort" label="Sort" value={sort} options={SORT_LABELS} onChange={resort} />
        <div className="commands">
          <button type="submit" className="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({ q: '', ownerId: '' });
              refine(NO_FILTERS);
            }}
          >
            Clear filters
          </button>
        </div>
      </form>

      <ProblemNotice problem={list.problem ?? profiles.problem} />
      <div className="table-scroll">
        <table className="mailboxes" aria-busy={!list.data}>
          <caption>Active Mailboxes, page {pageNumber(paging)}</caption>
          <thead>
            <tr>
              <th scope="col">
                <PageCheckbox
                  state={pageSelection(selection, items)}
                  onChange={() => setSelection(togglePage(selection, items))}
                />
              </th>
              <SortHeader column="name" label="Name" sort={sort} onSort={resort} />
              <SortHeader column="emailAddress" label="Email Address" sort={sort} onSort={resort} />
              <th scope="col">Server Profile</th>
              <th scope="col">Incoming Email</th>
              <th scope="col">Outgoing Email</th>
              <th scope="col">Appointments, Contacts, and Tasks</th>
              <th scope="col">Email Address Status</th>
              <th scope="col">Incoming Email Status</th>
              <th scope="col">Outgoing Email Status</th>
              <th scope="col">Appointments, Contacts, and Tasks Status</th>
              <th scope="col">Mailbox Status</th>
              <th scope="col">Last Sync</th>
              <th scope="col">Next Sync</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.id} className={selection.has(m.id) ? 'selected' : undefined}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${m.name}`}
                    checked={selection.has(m.id)}
                    onChange={() => setSelection(toggleOne(selection, m))}
                  />
                </td>
                <th scope="row">
                  <Link to={mailboxPath(m.id)}>{m.name}</Link>
                </th>
                <td>{m.emailAddress ?? '—'}</td>
                <td>{m.serverProfileId ? (profileName.get(m.serverProfileId) ?? m.serverProfileId) : '—'}</td>
                <td>{INCOMING_LABELS[m.incomingEmailDeliveryMethod]}</td>
                <td>{OUTGOING_LABELS[m.outgoingEmailDeliveryMethod]}</td>
                <td>{ACT_LABELS[m.actDeliveryMethod]}</td>
                <td>{APPROVAL_LABELS[m.emailAddressStatus]}</td>
                <td>{TEST_STATUS_LABELS[m.incomingEmailStatus]}</td>
                <td>{TEST_STATUS_LABELS[m.outgoingEmailStatus]}</td>
                <td>{TEST_STATUS_LABELS[m.actStatus]}</td>
                <td className={`status-${m.mailboxStatus}`}>
                  {m.testPending ? 'Testing…' : TEST_STATUS_LABELS[m.mailboxStatus]}
                </td>
                <td>{timeText(m.lastSyncAt)}</td>
                <td>{timeText(m.nextSyncDueAt)}</td>
              </tr>
            ))}
            {list.data && items.length === 0 && (
              <tr>
                <td colSpan={14}>No active mailboxes match.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="commands pager" aria-label="Pages">
        <button
          type="button"
          disabled={paging.cursors.length === 0}
          onClick={() => setPaging(previousPage(paging))}
        >
          Previous page
        </button>
        <span>Page {pageNumber(paging)}</span>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => list.data?.nextCursor && setPaging(nextPage(paging, list.data.nextCursor))}
        >
          Next page
        </button>
        <Field id="mailboxes-pageSize" label="Rows per page">
          {(control) => (
            <select
              {...control}
              value={pageSize}
              onChange={(e) => show({ pageSize: Number(e.target.value) })}
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
      </nav>

      {dialog === 'apply-defaults' && (
        <ApplyDefaultsDialog
          count={count}
          profiles={profileList}
          onClose={closeDialog}
          start={(testAndEnable) =>
            startJob(
              'Apply Default Email Settings',
              unwrap(
                api.POST('/api/v1/mailboxes/apply-default-settings', {
                  body: { mailboxIds: ids, testAndEnable },
                }),
              ),
            )
          }
        />
      )}
      {dialog === 'edit' && (
        <BulkEditDialog
          count={count}
          profiles={profileList}
          onClose={closeDialog}
          start={(changes) =>
            startJob(
              'Edit',
              unwrap(api.POST('/api/v1/mailboxes/bulk-edit', { body: { mailboxIds: ids, changes } })),
            )
          }
        />
      )}
      {dialog === 'approve' && (
        <ConfirmDialog
          id="approve"
          title="Approve Email"
          count={count}
          onClose={closeDialog}
          submit={() =>
            startJob(
              'Approve Email',
              unwrap(api.POST('/api/v1/mailboxes/approve-email', { body: { mailboxIds: ids } })),
            )
          }
        >
          <p>Their email addresses are approved, so they can process email.</p>
        </ConfirmDialog>
      )}
      {dialog === 'reject' && (
        <ConfirmDialog
          id="reject"
          title="Reject Email"
          count={count}
          onClose={closeDialog}
          submit={() =>
            startJob(
              'Reject Email',
              unwrap(api.POST('/api/v1/mailboxes/reject-email', { body: { mailboxIds: ids } })),
            )
          }
        >
          <p>Their email addresses are rejected: they process no email until approved.</p>
        </ConfirmDialog>
      )}
      {dialog === 'test' && (
        <ConfirmDialog
          id="test"
          title="Test & Enable Mailboxes"
          count={count}
          onClose={closeDialog}
          submit={() =>
            startJob(
              'Test & Enable Mailboxes',
              unwrap(api.POST('/api/v1/mailboxes/test-and-enable', { body: { mailboxIds: ids } })),
            )
          }
        >
          <p>
            Their incoming, outgoing and appointments, contacts and tasks settings are tested against the
            email server, and each mailbox that passes is enabled.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'deactivate' && (
        <ConfirmDialog
          id="deactivate"
          title="Deactivate"
          count={count}
          onClose={closeDialog}
          submit={() =>
            startJob(
              'Deactivate',
              unwrap(api.POST('/api/v1/mailboxes/deactivate', { body: { mailboxIds: ids } })),
            )
          }
        >
          <p>They stop synchronizing and leave the Active Mailboxes list.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** The seed's More Commands (…): the rarer bulk actions. */
function MoreCommands({ disabled, onPick }: { disabled: boolean; onPick: (d: DialogName) => void }) {
  const menu = useRef<HTMLDetailsElement>(null);
  const pick = (d: DialogName) => {
    if (menu.current) menu.current.open = false;
    onPick(d);
  };
  return (
    <details className="menu" ref={menu}>
      <summary>More Commands (…)</summary>
      <div className="menu-items">
        <button type="button" disabled={disabled} onClick={() => pick('approve')}>
          Approve Email
        </button>
        <button type="button" disabled={disabled} onClick={() => pick('reject')}>
          Reject Email
        </button>
        <button type="button" disabled={disabled} onClick={() => pick('deactivate')}>
          Deactivate
        </button>
      </div>
    </details>
  );
}

function PageCheckbox({ state, onChange }: { state: 'all' | 'some' | 'none'; onChange: () => void }) {
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (box.current) box.current.indeterminate = state === 'some';
  }, [state]);
  return (
    <input
      ref={box}
      type="checkbox"
      aria-label="Select all on this page"
      checked={state === 'all'}
      onChange={onChange}
    />
  );
}

function SortHeader(props: {
  column: SortableColumn;
  label: string;
  sort: MailboxSort;
  onSort: (s: MailboxSort) => void;
}) {
  const { column, label, sort, onSort } = props;
  const order = ariaSort(sort, column);
  return (
    <th scope="col" aria-sort={order}>
      <button type="button" className="sort" onClick={() => onSort(sortByColumn(sort, column))}>
        {label}
        <span aria-hidden="true">{order === 'ascending' ? ' ▲' : order === 'descending' ? ' ▼' : ''}</span>
      </button>
    </th>
  );
}
