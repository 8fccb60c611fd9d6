import { DEFAULT_VIEW, type MailboxView, mailboxSearchOf, mailboxViewOf } from './mailbox-url';

const everything: MailboxView = {
  filters: {
    q: 'ann lee',
    serverProfileId: '3f2a-9c',
    kind: 'Queue',
    ownerId: 'u-7',
    emailAddressStatus: 'PendingApproval',
    incomingEmailStatus: 'Failure',
    outgoingEmailStatus: 'Success',
    actStatus: 'NotRun',
    mailboxStatus: 'Failure',
  },
  sort: '-updatedAt',
  pageSize: 250,
};

describe('the Active Mailboxes view in the address', () => {
  it('reads back every filter, the sort and the page size it wrote', () => {
    expect(mailboxViewOf(mailboxSearchOf(everything))).toEqual(everything);
  });

  it('writes nothing for the defaults, and only what is set otherwise', () => {
    expect(mailboxSearchOf(DEFAULT_VIEW)).toBe('');
    expect(mailboxViewOf('')).toEqual(DEFAULT_VIEW);
    const some: MailboxView = {
      ...DEFAULT_VIEW,
      filters: { ...DEFAULT_VIEW.filters, q: ' ann ', incomingEmailStatus: 'Failure' },
    };
    expect(mailboxSearchOf({ ...some, sort: '-name' })).toBe('?q=ann&incoming=Failure&sort=-name');
  });

  it('keeps text that needs escaping intact', () => {
    const view = { ...DEFAULT_VIEW, filters: { ...DEFAULT_VIEW.filters, q: 'a&b=c ?#%' } };
    expect(mailboxViewOf(mailboxSearchOf(view))).toEqual(view);
  });

  it('drops values the list cannot use and keeps the rest', () => {
    const view = mailboxViewOf(
      '?kind=Robot&incoming=failure&status=Failure&sort=size&size=7&approval=&act=toString&profile=p-1',
    );
    expect(view).toEqual({
      ...DEFAULT_VIEW,
      filters: { ...DEFAULT_VIEW.filters, mailboxStatus: 'Failure', serverProfileId: 'p-1' },
    });
  });

  it('drops text longer than the API takes, and a page size that is not offered', () => {
    expect(mailboxViewOf(`?q=${'x'.repeat(201)}&owner=${'o'.repeat(129)}&size=50.0`)).toEqual(DEFAULT_VIEW);
    expect(mailboxViewOf('?size=5').pageSize).toBe(5);
  });

  it('never throws on a malformed query string', () => {
    expect(mailboxViewOf('?q=%E0%A4%A&&=&sort')).toEqual(mailboxViewOf('?q=%E0%A4%A'));
  });
});
