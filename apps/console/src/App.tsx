import { useEffect, useMemo, useRef, useState } from 'react';
import { createApi } from './api/client';
import { ApiContext } from './api/context';
import { SignIn } from './auth/SignIn';
import { signIn, signOut, storedToken } from './auth/session';
import { ProfilePage } from './profiles/ProfilePage';
import { ProfilesPage } from './profiles/ProfilesPage';
import { Link, useRoute } from './router';
import type { Route } from './routes';
import { MailboxPage } from './mailboxes/MailboxPage';
import { MailboxesPage } from './mailboxes/MailboxesPage';
import { EmailSettingsPage } from './settings/EmailSettingsPage';
import { ActivitiesPage } from './activities/ActivitiesPage';
import { ActivityPage } from './activities/ActivityPage';
import { NewEmailPage } from './activities/NewEmailPage';
import { AlertsNavLink } from './alerts/AlertsNavLink';
import { AlertsPage } from './alerts/AlertsPage';

const EXPIRED = 'The API did not accept the token (it may have expired). Sign in again.';

export function App() {
  const [token, setToken] = useState(() => storedToken(window));
  const [notice, setNotice] = useState<string | null>(null);
  const api = useMemo(
    () =>
      token === null
        ? null
        : createApi(token, () => {
            signOut(window);
            setToken(null);
            setNotice(EXPIRED);
          }),
    [token],
  );
  if (!api)
    return (
      <SignIn
        notice={notice}
        onSignIn={(t) => {
          signIn(window, t);
          setToken(t);
          setNotice(null);
        }}
      />
    );
  return (
    <ApiContext.Provider value={api}>
      <Shell
        onSignOut={() => {
          signOut(window);
          setToken(null);
          setNotice(null);
        }}
      />
    </ApiContext.Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  // A new page moves focus to its heading, as a page load would to the document.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);
  const section = sectionOf(route);
  return (
    <>
      <header className="top">
        <span className="brand">ssync</span>
        <nav aria-label="Email configuration">
          <Link to="/profiles" aria-current={section === 'profiles' ? 'page' : undefined}>
            Email Server Profiles
          </Link>
          <Link to="/mailboxes" aria-current={section === 'mailboxes' ? 'page' : undefined}>
            Mailboxes
          </Link>
          <Link to="/settings/email" aria-current={section === 'settings' ? 'page' : undefined}>
            System Settings › Email
          </Link>
          <Link to="/email-activities" aria-current={section === 'activities' ? 'page' : undefined}>
            Email Activities
          </Link>
          <AlertsNavLink current={section === 'alerts'} page={JSON.stringify(route)} />
        </nav>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main ref={main}>
        <Page key={JSON.stringify(route)} route={route} />
      </main>
    </>
  );
}

function sectionOf(route: Route): 'profiles' | 'mailboxes' | 'settings' | 'activities' | 'alerts' {
  if (route.page === 'email-settings') return 'settings';
  if (route.page === 'alerts') return 'alerts';
  if (route.page === 'activities' || route.page === 'activity' || route.page === 'new-activity')
    return 'activities';
  return route.page === 'mailboxes' || route.page === 'mailbox' ? 'mailboxes' : 'profiles';
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'profiles':
      return <ProfilesPage view={route.view} />;
    case 'new-profile':
      return <ProfilePage id={null} />;
    case 'profile':
      return <ProfilePage id={route.id} />;
    case 'email-settings':
      return <EmailSettingsPage />;
    case 'mailboxes':
      return <MailboxesPage view={route.view} />;
    case 'mailbox':
      return <MailboxPage id={route.id} />;
    case 'alerts':
      return <AlertsPage />;
    case 'activities':
      return <ActivitiesPage mailboxId={route.mailboxId} />;
    case 'new-activity':
      return <NewEmailPage mailboxId={route.mailboxId} />;
    case 'activity':
      return <ActivityPage id={route.id} />;
    case 'not-found':
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            Nothing here. <Link to="/profiles">Email Server Profiles</Link>
          </p>
        </>
      );
  }
}
