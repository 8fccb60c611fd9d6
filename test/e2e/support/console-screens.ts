/**
 * The console's screens, for the browser tests that visit each one (test/e2e/console-quality.e2e-spec.ts: axe-core
 * finds no serious or critical violation, and a screenshot of each). A new screen adds a line here.
 *
 * `path` may name the test's fixtures as `:profileId` or `:mailboxId`; `ready` is what shows once the screen has
 * its data (a CSS selector, or text anywhere on the page); `doc` names the screenshot README shows
 * (docs/console/<doc>.png).
 */
export interface ConsoleScreen {
  name: string;
  path: string;
  ready: { selector: string } | { text: string | RegExp };
  doc?: string;
}

export interface ConsoleFixtures {
  /** An active profile, with mailboxes. */
  profileId: string;
  /** A mailbox of that profile, tested. */
  mailboxId: string;
}

export const CONSOLE_SCREENS: ConsoleScreen[] = [
  {
    name: 'Email Server Profiles',
    path: '/profiles',
    ready: { selector: 'table tbody th a' },
    doc: 'profiles',
  },
  {
    name: 'Inactive Email Server Profiles',
    path: '/profiles?view=Inactive',
    ready: { text: 'No inactive profiles.' },
  },
  { name: 'New Email Server Profile', path: '/profiles/new', ready: { selector: '#profile-name' } },
  {
    name: 'Email Server Profile',
    path: '/profiles/:profileId',
    ready: { selector: 'h1 .badge' },
    doc: 'profile-form',
  },
  {
    name: 'System Settings › Email',
    path: '/settings/email',
    ready: { selector: 'select option:checked:not([value=""])' },
    doc: 'email-settings',
  },
  {
    name: 'Active Mailboxes',
    path: '/mailboxes',
    ready: { selector: 'table.mailboxes[aria-busy="false"] tbody th' },
    doc: 'mailboxes',
  },
  // The detail's sections load on their own; the audit timeline is the last of them.
  { name: 'Mailbox', path: '/mailboxes/:mailboxId', ready: { selector: 'ol.timeline li' }, doc: 'mailbox' },
  // The user's wall and, for the admin the tests sign in as, the service alerts below it: both loaded.
  {
    name: 'Alerts',
    path: '/alerts',
    ready: { selector: 'main:has(table.alerts tbody tr):has(table.service-alerts tbody tr)' },
    doc: 'alerts',
  },
  {
    name: 'Email Activities',
    path: '/email-activities',
    ready: { selector: 'table.activities tbody tr' },
    doc: 'email-activities',
  },
  {
    name: 'New Email',
    path: '/email-activities/new?mailboxId=:mailboxId',
    ready: { selector: '#email-mailboxId option:checked:not([value=""])' },
  },
  { name: 'Not found', path: '/nowhere', ready: { text: 'Nothing here.' } },
];

/** The screen's address with the fixtures' ids in it. */
export function screenPath(screen: ConsoleScreen, fixtures: ConsoleFixtures): string {
  return screen.path.replace(/:(profileId|mailboxId)\b/g, (_, key: keyof ConsoleFixtures) =>
    encodeURIComponent(fixtures[key]),
  );
}
