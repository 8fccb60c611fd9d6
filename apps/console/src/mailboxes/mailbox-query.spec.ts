import type { BulkJob, Mailbox } from '../api/client';
import {
  FIRST_PAGE,
  NO_FILTERS,
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

const mailbox = (id: string, name = id) => ({ id, name }) as Mailbox;

describe('the Active Mailboxes query', () => {
  it('asks for active mailboxes, sorted and paged, and nothing else when no filter is set', () => {
    expect(listQuery(NO_FILTERS, 'name', 50)).toEqual({ status: 'Active', sort: 'name', limit: 50 });
  });

  it('sends every filter that is set, and blank text as no filter', () => {
    expect(
      listQuery(
        {
          q: '  alice ',
          ownerId: '   ',
          serverProfileId: 'p1',
          kind: 'Queue',
          emailAddressStatus: 'PendingApproval',
          incomingEmailStatus: 'Failure',
          outgoingEmailStatus: 'Success',
          actStatus: 'NotRun',
          mailboxStatus: 'Failure',
        },
        '-emailAddress',
        25,
        'c2',
      ),
    ).toEqual({
      status: 'Active',
      sort: '-emailAddress',
      limit: 25,
      cursor: 'c2',
      q: 'alice',
      serverProfileId: 'p1',
      kind: 'Queue',
      emailAddressStatus: 'PendingApproval',
      incomingEmailStatus: 'Failure',
      outgoingEmailStatus: 'Success',
      actStatus: 'NotRun',
      mailboxStatus: 'Failure',
    });
  });

  it("sorts by a column ascending first, then the other way, and says so in the header's aria-sort", () => {
    expect(sortByColumn('-updatedAt', 'name')).toBe('name');
    expect(sortByColumn('name', 'name')).toBe('-name');
    expect(sortByColumn('-name', 'name')).toBe('name');
    expect([ariaSort('-name', 'name'), ariaSort('-name', 'emailAddress')]).toEqual(['descending', 'none']);
  });

  it('goes back a page by the cursor that led to the one before', () => {
    const third = nextPage(nextPage(FIRST_PAGE, 'c2'), 'c3');
    expect([pageNumber(third), currentCursor(third)]).toEqual([3, 'c3']);
    const second = previousPage(third);
    expect([pageNumber(second), currentCursor(second)]).toEqual([2, 'c2']);
    expect([pageNumber(previousPage(second)), currentCursor(previousPage(second))]).toEqual([1, undefined]);
  });
});

describe('selecting mailboxes', () => {
  const page = [mailbox('a'), mailbox('b')];

  it('toggles one mailbox', () => {
    const picked = toggleOne(new Map(), mailbox('a'));
    expect([...picked.keys()]).toEqual(['a']);
    expect(toggleOne(picked, mailbox('a')).size).toBe(0);
  });

  it('selects a whole page from none or some, and unselects it once all of it is selected', () => {
    const some = toggleOne(new Map(), mailbox('a'));
    expect(pageSelection(some, page)).toBe('some');
    const all = togglePage(some, page);
    expect(pageSelection(all, page)).toBe('all');
    expect(pageSelection(togglePage(all, page), page)).toBe('none');
  });

  it('keeps what other pages selected when a page is toggled', () => {
    const elsewhere = toggleOne(new Map(), mailbox('z'));
    const both = togglePage(elsewhere, page);
    expect([...both.keys()].sort()).toEqual(['a', 'b', 'z']);
    expect([...togglePage(both, page).keys()]).toEqual(['z']);
  });

  it('takes the newer state of selected rows a page shows, and stays the same object when none changed', () => {
    const picked = toggleOne(new Map(), mailbox('a', 'Ann'));
    const renamed = mailbox('a', 'Ann Lee');
    expect(refreshSelection(picked, [renamed, mailbox('b')]).get('a')).toBe(renamed);
    expect(refreshSelection(picked, [mailbox('b')])).toBe(picked);
  });

  it('drops the mailboxes a Deactivate job did or found inactive, and keeps the refused ones', () => {
    const picked = togglePage(new Map(), [mailbox('a'), mailbox('b'), mailbox('c')]);
    const job = (type: BulkJob['type']) =>
      ({
        type,
        results: [
          { mailboxId: 'a', outcome: 'Done' },
          { mailboxId: 'b', outcome: 'Done', reason: 'already inactive: nothing changed' },
          { mailboxId: 'c', outcome: 'Refused', reason: 'mailbox c does not exist' },
        ],
      }) as BulkJob;
    expect([...withoutDeactivated(picked, [job('DeactivateMailboxes')]).keys()]).toEqual(['c']);
    expect(withoutDeactivated(picked, [job('ApproveEmail')])).toBe(picked);
  });
});
