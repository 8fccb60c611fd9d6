import { DEFAULT_VIEW } from './mailboxes/mailbox-url';
import { routeOf } from './routes';

describe("the console's pages by path", () => {
  it.each([
    ['/', '', { page: 'profiles', view: 'Active' }],
    ['/profiles', '?view=Inactive', { page: 'profiles', view: 'Inactive' }],
    ['/profiles/new', '', { page: 'new-profile' }],
    ['/profiles/3f2a-9c', '', { page: 'profile', id: '3f2a-9c' }],
    ['/settings/email', '', { page: 'email-settings' }],
    ['/settings', '', { page: 'not-found' }],
    ['/mailboxes', '', { page: 'mailboxes', view: DEFAULT_VIEW }],
    [
      '/mailboxes',
      '?kind=Queue&sort=-name',
      {
        page: 'mailboxes',
        view: { ...DEFAULT_VIEW, filters: { ...DEFAULT_VIEW.filters, kind: 'Queue' }, sort: '-name' },
      },
    ],
    ['/mailboxes/7d1e-42', '', { page: 'mailbox', id: '7d1e-42' }],
    ['/mailboxes/a/b', '', { page: 'not-found' }],
    ['/profiles/a/b', '', { page: 'not-found' }],
    ['/alerts', '', { page: 'alerts' }],
    ['/email-activities', '', { page: 'activities', mailboxId: null }],
    ['/email-activities', '?mailboxId=m-1', { page: 'activities', mailboxId: 'm-1' }],
    ['/email-activities/new', '?mailboxId=m-1', { page: 'new-activity', mailboxId: 'm-1' }],
    ['/email-activities/e-9', '', { page: 'activity', id: 'e-9' }],
    ['/email-activities/e-9/x', '', { page: 'not-found' }],
  ])('%s%s', (pathname, search, route) => expect(routeOf(pathname, search)).toEqual(route));
});
