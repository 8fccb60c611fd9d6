import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { IncomingHttpHeaders, Server, createServer, request } from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, Page, chromium } from 'playwright-core';
import { startSimulator } from '../../apps/exchange-simulator/src/index';
import { deleteTopics, dropDatabase, eventually, testNamespace } from '../support/env';
import { jobCompleted } from '../support/jobs';
import { AppProcess, freePort, waitForHttp } from '../support/processes';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** Debian's chromium (CI installs it in .ci/run); Playwright's own browser download is not used. */
const CHROMIUM = process.env.SSYNC_CHROMIUM ?? '/usr/bin/chromium';
const SSS = {
  incomingEmailDeliveryMethod: 'ServerSideSync',
  outgoingEmailDeliveryMethod: 'ServerSideSync',
  actDeliveryMethod: 'ServerSideSync',
};

/** Every request the API received, as it received it: the browser reaches the API only through this relay. */
class RecordingRelay {
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  private server: Server | null = null;
  url = '';

  async open(target: number): Promise<void> {
    this.server = createServer((req, res) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const upstream = request(
        { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * Issue #13: the admin console in Debian's chromium, against the API, the projector and a sync worker as processes
 * on real Kafka and MongoDB, with the Exchange simulator. The seed's screens, clicked through as an administrator
 * would: sign in from the link `npm start` prints, create a profile, set the organization's defaults, Test & Enable
 * a profile's mailboxes, deactivate and activate a profile.
 */
describe('the admin console in a browser (issue #13)', () => {
  const ns = testNamespace('e2e-console');
  const token = `dev-${randomBytes(16).toString('hex')}`;
  const relay = new RecordingRelay();
  const apps: AppProcess[] = [];
  let sim: Simulator;
  let api: AppProcess;
  let apiBase = '';
  let browser: Browser;
  let page: Page;
  let profileId = '';

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${apiBase}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  const field = (label: string) => page.getByLabel(label, { exact: true });
  // SSYNC_CONSOLE_SCREENSHOTS=<dir>: a full-page screenshot of each screen the test reaches, to look at.
  const shot = async (name: string) => {
    const dir = process.env.SSYNC_CONSOLE_SCREENSHOTS;
    if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
  };
  // Expressions run in the page (this project's types know no DOM).
  const storedToken = () => page.evaluate<string | null>("sessionStorage.getItem('ssync.console.token')");
  // A function, not a string: the console's Content-Security-Policy forbids the eval a string predicate needs.
  const progressReaches100 = (id: string) =>
    page.waitForFunction((at: string) => (globalThis as any).document.getElementById(at)?.value === 100, id, {
      timeout: 60_000,
    });
  // React renders a change before the event returns; waiting costs nothing and holds if that ever changes.
  const gone = (label: string) => field(label).waitFor({ state: 'detached' });
  const errorOf = async (label: string) => {
    const describedBy = (await field(label).getAttribute('aria-describedby')) ?? '';
    const id = describedBy.split(' ').find((d) => d.endsWith('-error'));
    return id ? page.locator(`#${id}`).innerText() : null;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no browser at ${CHROMIUM}: apt-get install chromium (as .ci/run does), or set SSYNC_CHROMIUM`,
      );
    sim = await startSimulator({ port: 0 });
    sim.admin.createAccount({ userName: 'svc-ssync', password: 'Svc-Passw0rd!', domain: 'CONTOSO' });
    for (const user of ['ann', 'bob', 'cyd', 'dee', 'fay', 'gus'])
      sim.admin.createMailbox({ smtpAddress: `${user}@console.test`, displayName: user });
    // cyd's mailbox is not the service account's to impersonate: its test fails, for good.
    sim.admin.grantImpersonation({
      userName: 'svc-ssync',
      mailboxes: ['ann', 'bob', 'dee', 'fay', 'gus'].map((u) => `${u}@console.test`),
    });

    const port = await freePort();
    apiBase = `http://127.0.0.1:${port}`;
    const env = {
      ...ns.env,
      SSYNC_DEV_TOKEN: token,
      PORT: String(port),
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
      SSYNC_WORKER_TICK_MS: '200',
    };
    api = new AppProcess('api', 'apps/api/src/main.js', env).start();
    apps.push(
      api,
      new AppProcess('projector', 'apps/projector/src/main.js', env).start(),
      new AppProcess('sync-worker', 'apps/sync-worker/src/main.js', {
        ...env,
        SSYNC_INSTANCE_ID: 'console-worker',
      }).start(),
    );
    await relay.open(port);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    await waitForHttp(`${apiBase}/health/ready`, 120_000, api);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await relay.close();
    await Promise.all(apps.map((a) => a.stop()));
    await sim?.close();
    if (process.env.SSYNC_TEST_KEEP !== '1') {
      await dropDatabase(ns);
      await deleteTopics(ns);
    }
  });

  it('signs in from the link npm start prints, and takes the token off the address at once', async () => {
    await page.goto(`${relay.url}/#token=${token}`);
    await page.getByRole('heading', { name: 'Email Server Profiles' }).waitFor();
    expect(page.url()).toBe(`${relay.url}/`);
    expect(await storedToken()).toBe(token);
  });

  it('creates a profile: fields come and go as the seed says, and the API judges each beside its field', async () => {
    await page.getByText('New', { exact: true }).click();
    await page.getByRole('link', { name: 'Exchange Server' }).click();
    await page.getByRole('heading', { name: 'New Email Server Profile' }).waitFor();
    await field('Name').fill('Contoso Exchange');

    // Auto Discover Server Location: Yes hides both server locations.
    await field('Auto Discover Server Location').selectOption('yes');
    await gone('Incoming Server Location');
    await gone('Outgoing Server Location');
    await field('Auto Discover Server Location').selectOption('no');
    await field('Incoming Server Location').waitFor();

    // User name and password only with credentials specified in the profile.
    await gone('User Name');
    await field('Authenticate Using').selectOption('CredentialsSpecifiedInEmailServerProfile');
    await field('User Name').fill('CONTOSO\\svc-ssync');
    await field('Password').fill('Svc-Passw0rd!');
    await field('Incoming Authentication Protocol').selectOption('NTLM');

    // Use Same Settings for Outgoing: No shows outgoing's own settings, starting as a copy of incoming.
    await gone('Outgoing User Name');
    await field('Use Same Settings for Outgoing').selectOption('no');
    expect(await field('Outgoing User Name').inputValue()).toBe('CONTOSO\\svc-ssync');
    expect(await field('Outgoing Authentication Protocol').inputValue()).toBe('NTLM');
    await field('Use Same Settings for Outgoing').selectOption('yes');
    await gone('Outgoing Authentication Protocol');

    // The API refuses what breaks its rules; each violation shows beside its field.
    await field('Incoming Server Location').fill('mail.contoso.test');
    await field('Outgoing Server Location').fill(sim.ewsUrl);
    await field('Minimum Polling Intervals in Minutes').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#profile-incomingServerLocation-error').waitFor();
    await shot('profile-new-invalid');
    expect(await errorOf('Incoming Server Location')).toMatch(/absolute http\(s\) URL/);
    expect(await field('Incoming Server Location').getAttribute('aria-invalid')).toBe('true');
    expect(await errorOf('Outgoing Server Location')).toBeNull();

    await field('Incoming Server Location').fill(sim.ewsUrl);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /^Contoso Exchange/ }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Created.' }).waitFor();
    await shot('profile-created');
    profileId = /\/profiles\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
    const stored = (await call('GET', `/api/v1/email-server-profiles/${profileId}`)).body;
    expect(stored).toMatchObject({
      name: 'Contoso Exchange',
      incomingServerLocation: sim.ewsUrl,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-ssync',
      passwordSet: true,
      useSameSettingsForOutgoing: true,
      incomingAuthenticationProtocol: 'NTLM',
      outgoingAuthenticationProtocol: 'NTLM',
      minimumPollingIntervalMinutes: 0,
    });
    // Write-only: the stored password is never shown again.
    expect(await field('Password').inputValue()).toBe('');
  });

  it("sets the organization's email settings", async () => {
    await page.getByRole('link', { name: 'System Settings › Email' }).click();
    await page.getByRole('heading', { name: 'System Settings › Email' }).waitFor();
    await field('Server Profile').selectOption({ label: 'Contoso Exchange' });
    await field('Incoming Email').selectOption('ServerSideSync');
    await field('Outgoing Email').selectOption('ServerSideSync');
    await field('Appointments, Contacts, and Tasks').selectOption('ServerSideSync');
    await field('Process emails only for approved queues').uncheck();
    await page.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await shot('email-settings');
    const expected = {
      defaultServerProfileId: profileId,
      ...SSS,
      processEmailsOnlyForApprovedUsers: true,
      processEmailsOnlyForApprovedQueues: false,
    };
    // Reads come from the read model, a moment behind the write the page was answered with.
    await eventually(
      async () => {
        const { body } = await call('GET', '/api/v1/organization/email-settings');
        return Object.entries(expected).every(([k, v]) => body[k] === v);
      },
      10_000,
      'the settings readable',
    );
    await page.reload();
    expect(await field('Server Profile').inputValue()).toBe(profileId);
    expect(await field('Process emails only for approved queues').isChecked()).toBe(false);
  });

  it("runs Test & Enable for the profile's mailboxes: progress to 100 %, then results, failures first", async () => {
    const ids: string[] = [];
    for (const user of ['ann', 'bob', 'cyd']) {
      const res = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: `${user[0]!.toUpperCase()}${user.slice(1)}`,
        emailAddress: `${user}@console.test`,
        serverProfileId: profileId,
        ...SSS,
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    const approval = await call('POST', '/api/v1/mailboxes/approve-email', { mailboxIds: ids });
    await jobCompleted(call, approval.body.jobId, { timeoutMs: 30_000, what: 'mailboxes approved' });
    await eventually(
      async () =>
        (await call('GET', `/api/v1/mailboxes?serverProfileId=${profileId}`)).body?.items?.length === 3,
      30_000,
      "the profile's mailboxes listed",
    );

    await page.goto(`${relay.url}/profiles/${profileId}`);
    await page.getByRole('button', { name: 'Test & Enable Mailboxes' }).click();
    const progress = page.getByLabel('Progress');
    await progress.waitFor();
    await progressReaches100('tae-progress');
    await page.getByRole('table', { name: 'Results, failures first' }).waitFor();
    const rows = await Promise.all(
      (await page.getByRole('table', { name: 'Results, failures first' }).locator('tbody tr').all()).map(
        (tr) => tr.locator('th, td').allInnerTexts(),
      ),
    );
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      ['Cyd', 'Failure'],
      ['Ann', 'Success'],
      ['Bob', 'Success'],
    ]);
    await shot('test-and-enable');
    expect(rows[0]![6]).toMatch(/imperson|permission/i);
    expect(relay.seen.filter((r) => r.url.startsWith('/api/v1/jobs/')).length).toBeGreaterThan(0);
    expect(await page.getByRole('status').filter({ hasText: 'mailboxes tested' }).innerText()).toContain(
      '3 of 3 mailboxes tested (100 %): 2 succeeded, 1 failed',
    );
  });

  it('deactivates a profile with mailboxes only by moving them, and activates it again', async () => {
    const spare = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Fabrikam Exchange',
      incomingServerLocation: sim.ewsUrl,
      outgoingServerLocation: sim.ewsUrl,
      authenticateUsing: 'WindowsIntegratedAuthentication',
    });
    const mailbox = await call('POST', '/api/v1/mailboxes', {
      kind: 'User',
      name: 'Dee',
      emailAddress: 'dee@console.test',
      serverProfileId: spare.body.id,
      ...SSS,
    });
    expect([spare.status, mailbox.status]).toEqual([201, 201]);
    await eventually(
      async () =>
        (await call('GET', `/api/v1/email-server-profiles/${spare.body.id}`)).status === 200 &&
        (await call('GET', `/api/v1/mailboxes?serverProfileId=${spare.body.id}`)).body?.items?.length === 1,
      30_000,
      'the spare profile and its mailbox readable',
    );

    await page.goto(`${relay.url}/profiles/${spare.body.id}`);
    await page.getByRole('button', { name: 'Deactivate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate Fabrikam Exchange' });
    await dialog.getByRole('button', { name: 'Deactivate' }).click();
    await page.locator('#deactivate-reassign-error').waitFor();
    await shot('deactivate');
    expect(await errorOf('Move Its Mailboxes To')).toMatch(
      /has 1 mailbox\(es\); say which profile they move to/,
    );

    await field('Move Its Mailboxes To').selectOption({ label: 'Contoso Exchange' });
    await dialog.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('status').filter({ hasText: 'Deactivated.' }).waitFor();
    await page.getByRole('heading', { name: /Fabrikam Exchange\s+Inactive/ }).waitFor();
    await page.getByRole('heading', { name: 'Moving the mailboxes' }).waitFor();
    await progressReaches100('reassign-progress');
    expect((await call('GET', `/api/v1/mailboxes/${mailbox.body.id}`)).body.serverProfileId).toBe(profileId);
    expect(await field('Name').isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('status').filter({ hasText: 'Activated.' }).waitFor();
    await page.getByRole('heading', { name: /Fabrikam Exchange\s+Active/ }).waitFor();
    await eventually(
      async () =>
        (await call('GET', `/api/v1/email-server-profiles/${spare.body.id}`)).body.status === 'Active',
      10_000,
      'the profile readable as active',
    );

    await page.getByRole('link', { name: 'Email Server Profiles' }).first().click();
    await page.getByRole('table', { name: 'Active Email Server Profiles' }).waitFor();
    await page.getByRole('link', { name: 'Fabrikam Exchange' }).waitFor();
    await shot('profiles');
  });

  it("on a stale version, lists the other change, keeps the user's edit, and the next Save goes through", async () => {
    const created = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Tailspin Exchange',
      incomingServerLocation: sim.ewsUrl,
      outgoingServerLocation: sim.ewsUrl,
      authenticateUsing: 'WindowsIntegratedAuthentication',
    });
    expect(created.status).toBe(201);
    const path = `/api/v1/email-server-profiles/${created.body.id}`;
    await eventually(async () => (await call('GET', path)).status === 200, 30_000, 'the profile readable');
    await page.goto(`${relay.url}/profiles/${created.body.id}`);
    await page.getByRole('heading', { name: /^Tailspin Exchange/ }).waitFor();

    await field('Description').fill('Edited in the console');
    // Meanwhile, behind the page's back, someone else saves another field.
    expect((await call('PATCH', path, { maxConcurrentConnections: 20 })).status).toBe(200);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const notice = page.getByRole('alert').filter({ hasText: 'Someone else saved this profile' });
    await notice
      .getByRole('listitem')
      .filter({ hasText: 'Maximum Concurrent Connections: 10 → 20' })
      .waitFor();
    await shot('profile-conflict');
    expect(await field('Description').inputValue()).toBe('Edited in the console');
    expect(await field('Maximum Concurrent Connections').inputValue()).toBe('20');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await eventually(
      async () => {
        const { body } = await call('GET', path);
        return body.description === 'Edited in the console' && body.maxConcurrentConnections === 20;
      },
      10_000,
      'both changes stored',
    );
  });

  describe('Active Mailboxes (issue #13, screen 3)', () => {
    const names = () => page.locator('table.mailboxes tbody th').allInnerTexts();
    const rowsAre = (expected: string[], label: string) =>
      eventually(async () => JSON.stringify(await names()) === JSON.stringify(expected), 15_000, label);
    const results = async () =>
      Promise.all(
        (await page.getByRole('table', { name: 'Results, failures first' }).locator('tbody tr').all()).map(
          async (tr) => (await tr.locator('th, td').allInnerTexts()).slice(0, 3),
        ),
      );
    /** Confirms a bulk action's dialog, then waits for its progress to reach 100 % and its results. */
    const confirmAndFollow = async (dialogName: string, ok: string, panel = dialogName) => {
      const dialog = page.getByRole('dialog', { name: dialogName });
      await dialog.getByRole('button', { name: ok }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('heading', { name: panel, level: 2 }).waitFor();
      await progressReaches100('bulk-progress');
      await page.getByRole('table', { name: 'Results, failures first' }).waitFor();
    };

    it('lists the provisioned mailboxes; a filter, a search, a sort and paging change the rows', async () => {
      for (const name of ['Fay', 'Gus']) {
        const res = await call('POST', '/api/v1/mailboxes', {
          kind: 'User',
          name,
          emailAddress: `${name.toLowerCase()}@console.test`,
        });
        expect(res.status).toBe(201);
      }
      await eventually(
        async () => (await call('GET', '/api/v1/mailboxes')).body?.items?.length === 6,
        30_000,
        'six active mailboxes listed',
      );

      await page.getByRole('link', { name: 'Mailboxes', exact: true }).click();
      await page.getByRole('heading', { name: 'Active Mailboxes' }).waitFor();
      await rowsAre(['Ann', 'Bob', 'Cyd', 'Dee', 'Fay', 'Gus'], 'every active mailbox, by name');
      await shot('mailboxes');
      const filters = page.getByRole('search', { name: 'Filter mailboxes' });
      const cyd = page.locator('table.mailboxes tbody tr').filter({ hasText: 'Cyd' });
      expect(await cyd.locator('td').allInnerTexts()).toEqual(
        expect.arrayContaining(['cyd@console.test', 'Contoso Exchange', 'Approved', 'Failure']),
      );

      await filters.getByLabel('Mailbox Status', { exact: true }).selectOption('Failure');
      // Cyd cannot be impersonated; Dee was never approved.
      await rowsAre(['Cyd', 'Dee'], 'the mailboxes whose test failed');
      // The filter lives in the address (replaced, not pushed), so a reload or a shared link keeps it.
      expect(new URL(page.url()).search).toBe('?status=Failure');
      await page.reload();
      await rowsAre(['Cyd', 'Dee'], 'the same mailboxes after a reload');
      expect(await filters.getByLabel('Mailbox Status', { exact: true }).inputValue()).toBe('Failure');
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await filters.getByLabel('Search', { exact: true }).fill('GU');
      await filters.getByRole('button', { name: 'Search' }).click();
      await rowsAre(['Gus'], 'the search for "GU"');
      await filters.getByRole('button', { name: 'Clear filters' }).click();
      await rowsAre(['Ann', 'Bob', 'Cyd', 'Dee', 'Fay', 'Gus'], 'the filters cleared');

      await page.getByRole('button', { name: 'Name', exact: true }).click();
      await rowsAre(['Gus', 'Fay', 'Dee', 'Cyd', 'Bob', 'Ann'], 'by name, Z to A');
      expect(await page.locator('th[aria-sort="descending"]').innerText()).toContain('Name');
      await page.getByRole('button', { name: 'Name', exact: true }).click();

      await field('Rows per page').selectOption('5');
      await rowsAre(['Ann', 'Bob', 'Cyd', 'Dee', 'Fay'], 'page 1 of 5 rows');
      await page.getByRole('button', { name: 'Next page' }).click();
      await rowsAre(['Gus'], 'page 2');
      expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Previous page' }).click();
      await rowsAre(['Ann', 'Bob', 'Cyd', 'Dee', 'Fay'], 'page 1 again');
    });

    it('selects two mailboxes across pages and approves them, with progress to 100 % and results', async () => {
      await field('Select Fay').check();
      await page.getByRole('button', { name: 'Next page' }).click();
      await rowsAre(['Gus'], 'page 2');
      await field('Select Gus').check();
      await page.getByRole('status').filter({ hasText: '2 mailboxes selected.' }).waitFor();

      await page.getByText('More Commands (…)').click();
      await page.getByRole('button', { name: 'Approve Email' }).click();
      await confirmAndFollow('Approve Email', 'OK');
      expect(await results()).toEqual([
        ['Fay', 'fay@console.test', 'Success'],
        ['Gus', 'gus@console.test', 'Success'],
      ]);
      await shot('mailboxes-approved');
      // The job is over once each command is decided; the list follows the events a moment later.
      await eventually(
        async () =>
          (await call('GET', '/api/v1/mailboxes?emailAddressStatus=Approved&q=fay')).body?.items?.length ===
          1,
        10_000,
        'Fay listed as approved',
      );
    });

    it("shows the organization's defaults before applying them, then applies them", async () => {
      await page.getByRole('button', { name: 'Apply Default Email Settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Apply Default Email Settings' });
      const defaults = dialog.getByLabel('Default email settings');
      await defaults.getByText('Contoso Exchange').waitFor();
      await shot('apply-default-email-settings');
      expect((await defaults.locator('dd').allInnerTexts()).map((t) => t.trim())).toEqual([
        'Contoso Exchange',
        'Server-Side Synchronization or Email Router',
        'Server-Side Synchronization or Email Router',
        'Server-Side Synchronization',
      ]);
      // Tested next, on its own, as the seed's last step.
      await dialog.getByLabel('Test and enable the mailboxes afterwards').uncheck();
      await confirmAndFollow('Apply Default Email Settings', 'OK');
      expect((await results()).map((r) => r[2])).toEqual(['Success', 'Success']);
      await eventually(
        async () => {
          const [m] = (await call('GET', `/api/v1/mailboxes?serverProfileId=${profileId}&q=fay`)).body.items;
          return m?.name === 'Fay' && Object.entries(SSS).every(([k, v]) => m[k] === v);
        },
        10_000,
        "Fay on the organization's defaults",
      );
    });

    it('tests and enables the two mailboxes: progress to 100 %, then their test results', async () => {
      await page.getByRole('button', { name: 'Test & Enable Mailboxes' }).click();
      await confirmAndFollow('Test & Enable Mailboxes', 'OK');
      expect(await results()).toEqual([
        ['Fay', 'fay@console.test', 'Success'],
        ['Gus', 'gus@console.test', 'Success'],
      ]);
      expect(await page.getByRole('status').filter({ hasText: 'mailboxes tested' }).innerText()).toContain(
        '2 of 2 mailboxes tested (100 %): 2 succeeded, 0 failed',
      );
      await shot('mailboxes-tested');

      // A result links to the mailbox's page, with its statuses and their reasons.
      await page
        .getByRole('table', { name: 'Results, failures first' })
        .getByRole('link', { name: 'Fay' })
        .click();
      await page.getByRole('heading', { name: /^Fay/ }).waitFor();
      const status = page.getByRole('table', { name: 'Configuration test' });
      expect(await status.locator('tbody tr').filter({ hasText: 'Mailbox Status' }).innerText()).toContain(
        'Success',
      );
    });

    it('changes the selected mailboxes with Edit, leaving blank fields as they were, then deactivates them', async () => {
      await page.getByRole('link', { name: 'Mailboxes', exact: true }).click();
      await rowsAre(['Ann', 'Bob', 'Cyd', 'Dee', 'Fay', 'Gus'], 'every active mailbox');
      await field('Select Fay').check();
      await field('Select Gus').check();

      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      const form = page.getByRole('dialog', { name: 'Change Multiple Records' });
      await form.getByLabel('Appointments, Contacts, and Tasks', { exact: true }).selectOption('Outlook');
      await shot('mailboxes-edit');
      await confirmAndFollow('Change Multiple Records', 'Change', 'Edit');
      expect((await results()).map((r) => r[2])).toEqual(['Success', 'Success']);
      await eventually(
        async () => {
          const [m] = (await call('GET', '/api/v1/mailboxes?q=gus')).body.items;
          return m?.actDeliveryMethod === 'Outlook' && m.incomingEmailDeliveryMethod === 'ServerSideSync';
        },
        10_000,
        "Gus's appointments by Outlook, its email as it was",
      );

      await page.getByText('More Commands (…)').click();
      await page.getByRole('button', { name: 'Deactivate' }).click();
      // One bulk job for the selection, followed like the others: not a request per mailbox.
      const started = page.waitForResponse(
        (r) =>
          r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/mailboxes/deactivate',
      );
      await confirmAndFollow('Deactivate', 'OK');
      expect((await started).status()).toBe(202);
      expect(await results()).toEqual([
        ['Fay', 'fay@console.test', 'Success'],
        ['Gus', 'gus@console.test', 'Success'],
      ]);
      await rowsAre(['Ann', 'Bob', 'Cyd', 'Dee'], 'the deactivated mailboxes gone from the list');
      await page.getByRole('status').filter({ hasText: 'No mailboxes selected.' }).waitFor();
    });
  });

  describe('the Alerts wall and email activities (issue #13, screens 5 and 6)', () => {
    const alerts = () => page.getByRole('table', { name: /alerts$/ });
    // An alert repeats in place (its count), but a mailbox can have more than one: the newest is enough here.
    const alertRow = (text: RegExp) => alerts().locator('tbody tr').filter({ hasText: text }).first();
    /** A mailbox's row in the Active Mailboxes list, cell by column heading. */
    const mailboxRow = async (name: string) => {
      const table = page.locator('table.mailboxes');
      const headings = await table.locator('thead th').allInnerTexts();
      const row = table
        .locator('tbody tr')
        .filter({ has: page.getByRole('rowheader', { name, exact: true }) });
      const cells = await row.locator('th, td').allInnerTexts();
      return Object.fromEntries(headings.map((h, i) => [h.trim(), cells[i]?.trim()]));
    };
    const serviceAlerts = () =>
      page
        .getByRole('region', { name: 'Service alerts', exact: true })
        .getByRole('table', { name: 'Service alerts, newest first' });
    const openWall = async () => {
      await page.getByRole('link', { name: /^Alerts/ }).click();
      await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
      await alerts().waitFor();
    };

    it("shows Success in the status columns after Test & Enable, and the success alert on the owner's wall", async () => {
      await page.getByRole('link', { name: 'Mailboxes', exact: true }).click();
      await page.locator('table.mailboxes[aria-busy="false"] tbody th').first().waitFor();
      const ann = await mailboxRow('Ann');
      expect([ann['Incoming Email Status'], ann['Outgoing Email Status'], ann['Mailbox Status']]).toEqual([
        'Success',
        'Success',
        'Success',
      ]);
      // Appointments, contacts and tasks are not synchronized yet (SYNCHRONIZED_AREAS), so their test does not run.
      expect(ann['Appointments, Contacts, and Tasks Status']).toBe('Not Run');

      // The mailboxes were provisioned with the dev token, so dev-admin owns them: its wall is the signed-in one.
      expect((await call('GET', '/api/v1/session')).body).toMatchObject({ userId: 'dev-admin' });
      // The nav counts the wall's active alerts.
      await page.getByRole('link', { name: /^Alerts \(\d+ active\)$/ }).waitFor();
      await openWall();
      await page.getByText(/the alerts wall of/i).waitFor();
      const success = alertRow(/"Ann" <ann@console\.test> was tested and enabled/);
      await success.waitFor();
      expect(await success.locator('td').first().innerText()).toBe('Information');
      await serviceAlerts().locator('tbody tr').first().waitFor();
      await shot('alerts');
      expect(await success.getByRole('link', { name: 'Mailbox' }).getAttribute('href')).toMatch(
        /^\/mailboxes\/[0-9a-f-]{36}$/,
      );
      // The permanent failure of the earlier test is an error on the same wall.
      expect(
        await alertRow(/"Cyd" <cyd@console\.test>/)
          .locator('td')
          .first()
          .innerText(),
      ).toBe('Error');

      await success.getByRole('link', { name: 'Mailbox' }).click();
      await page.getByRole('heading', { name: /^Ann/ }).waitFor();
      await openWall();
      await alertRow(/"Ann" <ann@console\.test> was tested and enabled/)
        .getByRole('button', { name: 'Dismiss' })
        .click();
      await page.getByRole('status').filter({ hasText: 'Alert dismissed.' }).waitFor();
      await alertRow(/"Ann" <ann@console\.test> was tested and enabled/).waitFor({ state: 'detached' });
      await field('Show').selectOption('dismissed');
      await alertRow(/"Ann" <ann@console\.test> was tested and enabled/).waitFor();
      expect(await alertRow(/"Ann"/).locator('td').last().innerText()).toBe('Dismissed');
      await field('Show').selectOption('active');
    });

    it("shows the admin the service's own alerts below the wall: rows, or that there are none", async () => {
      await openWall();
      const rows = serviceAlerts().locator('tbody tr');
      await rows.first().waitFor();
      expect(await serviceAlerts().locator('thead th').allInnerTexts()).toEqual([
        'Level',
        'Alert',
        'First seen',
        'Last seen',
      ]);
      const first = await rows.first().locator('th, td').allInnerTexts();
      if (first.length === 1) expect(first).toEqual(['No service alerts.']);
      else expect(first[0]).toMatch(/^(Error|Warning|Information)$/);
    });

    it('queues an email from a mailbox: the API judges each field, then the worker sends it and the page shows Sent', async () => {
      await page.getByRole('link', { name: 'Email Activities', exact: true }).first().click();
      await page.getByRole('heading', { name: 'Email Activities', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'New Email' }).click();
      await page.getByRole('heading', { name: 'New Email', level: 1 }).waitFor();
      await field('From').selectOption({ label: 'Ann <ann@console.test>' });
      await field('To').fill('bob@console.test; not an address');
      await field('Subject').fill('Quarterly numbers');
      // Markup typed in the body is text: it is sent as text and shown as text, never run.
      await field('Body').fill(
        'Hello Bob,\n<img src=x onerror="document.title=\'pwned\'"> the numbers are in.',
      );
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('#email-to-error').waitFor();
      await shot('new-email-invalid');
      expect(await errorOf('To')).toMatch(/"not an address"/);
      expect(await field('To').getAttribute('aria-invalid')).toBe('true');
      expect(await errorOf('Subject')).toBeNull();

      await field('To').fill('bob@console.test');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByRole('heading', { name: 'Quarterly numbers', level: 1 }).waitFor();
      const activityId = /\/email-activities\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
      expect(activityId).not.toBe('');
      // Read again each second while it waits: the worker's send shows without a reload.
      await page
        .getByRole('status')
        .filter({ hasText: /^Sent / })
        .waitFor({ timeout: 60_000 });
      await shot('email-activity-sent');
      expect(await page.locator('pre.email-body').innerText()).toContain('<img src=x onerror=');
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.title()).not.toBe('pwned');
      const delivered = (mailbox: string, folder: 'sentitems' | 'inbox') =>
        sim.admin.folderItems(mailbox, folder).some((i) => i.f.Subject === 'Quarterly numbers');
      await eventually(
        () =>
          Promise.resolve(
            delivered('ann@console.test', 'sentitems') && delivered('bob@console.test', 'inbox'),
          ),
        10_000,
        "the email in Ann's Sent Items and Bob's inbox",
      );
      expect((await call('GET', `/api/v1/email-activities/${activityId}`)).body).toMatchObject({
        status: 'Sent',
        from: 'ann@console.test',
        to: ['bob@console.test'],
        bodyType: 'Text',
      });

      // The list, filtered as the API filters: Ann's outgoing email that was sent.
      await page.getByRole('link', { name: 'Email Activities', exact: true }).first().click();
      const filters = page.getByRole('search', { name: 'Filter email activities' });
      await filters.getByLabel('Mailbox', { exact: true }).selectOption({ label: 'Ann <ann@console.test>' });
      await filters.getByLabel('Direction', { exact: true }).selectOption('Outgoing');
      await filters.getByLabel('Status', { exact: true }).selectOption('Sent');
      const row = page.locator('table.activities tbody tr').filter({ hasText: 'Quarterly numbers' });
      await row.waitFor();
      expect(await row.locator('td').allInnerTexts()).toEqual(
        expect.arrayContaining(['Ann', 'Outgoing', 'Sent', 'ann@console.test', 'bob@console.test']),
      );
      await shot('email-activities');
      await filters.getByLabel('Status', { exact: true }).selectOption('Failed');
      await page.getByText('No email activities match.').waitFor();
    });

    it("a wrong profile password: Test & Enable shows Failure, and the error alert is on the owner's wall", async () => {
      sim.admin.createMailbox({ smtpAddress: 'ivy@console.test', displayName: 'ivy' });
      sim.admin.grantImpersonation({ userName: 'svc-ssync', mailboxes: ['ivy@console.test'] });
      const profile = await call('POST', '/api/v1/email-server-profiles', {
        name: 'Tailspin Exchange',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: 'Svc-Passw0rd!',
        incomingAuthenticationProtocol: 'Basic',
      });
      const ivy = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: 'Ivy',
        emailAddress: 'ivy@console.test',
        serverProfileId: profile.body.id,
        ...SSS,
      });
      expect([profile.status, ivy.status]).toEqual([201, 201]);
      const approval = await call('POST', '/api/v1/mailboxes/approve-email', { mailboxIds: [ivy.body.id] });
      await jobCompleted(call, approval.body.jobId, { timeoutMs: 30_000, what: 'Ivy approved' });
      await eventually(
        async () =>
          (await call('GET', `/api/v1/mailboxes?serverProfileId=${profile.body.id}`)).body?.items?.length ===
            1 && (await call('GET', `/api/v1/email-server-profiles/${profile.body.id}`)).status === 200,
        30_000,
        "the profile and Ivy's mailbox readable",
      );

      await page.goto(`${relay.url}/profiles/${profile.body.id}`);
      await page.getByRole('heading', { name: /^Tailspin Exchange/ }).waitFor();
      await field('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await page.getByRole('button', { name: 'Test & Enable Mailboxes' }).click();
      await progressReaches100('tae-progress');
      const results = page.getByRole('table', { name: 'Results, failures first' });
      await results.waitFor();
      const [row] = await Promise.all(
        (await results.locator('tbody tr').all()).map((tr) => tr.locator('th, td').allInnerTexts()),
      );
      expect([row?.[0], row?.[2]]).toEqual(['Ivy', 'Failure']);
      expect(row?.[6]).toMatch(/credential|401|password|unauthori/i);
      await shot('test-and-enable-wrong-password');

      await openWall();
      const error = alertRow(/"Ivy" <ivy@console\.test>/);
      await error.waitFor({ timeout: 15_000 });
      expect(await error.locator('td').first().innerText()).toBe('Error');
      expect(await error.getByRole('link', { name: 'Mailbox' }).getAttribute('href')).toBe(
        `/mailboxes/${ivy.body.id}`,
      );
      await field('Level').selectOption('Information');
      await alertRow(/"Ivy"/).waitFor({ state: 'detached' });
      await field('Level').selectOption('');
    });
  });

  describe('Mailbox detail (issue #13, screen 4)', () => {
    const region = (name: string) => page.getByRole('region', { name, exact: true });
    const mailboxNamed = async (q: string) =>
      (await call('GET', `/api/v1/mailboxes?q=${q}`)).body.items[0] as { id: string; ownerId: string };
    const localTime = (at: Date) => {
      const two = (n: number) => String(n).padStart(2, '0');
      return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
    };

    it("shows a synced mailbox's ledger with why each message was (not) tracked, its latency, activities and audit", async () => {
      const ann = await mailboxNamed('ann');
      // The first poll fixes the tracking cut-off: mail that arrives afterwards is tracked.
      await eventually(
        async () => (await call('GET', `/api/v1/mailboxes/${ann.id}`)).body.lastSyncAt !== null,
        60_000,
        "Ann's mailbox polled",
      );
      sim.admin.deliver({
        from: 'dan@fabrikam.test',
        to: ['ann@console.test'],
        subject: 'Quarterly figures',
        body: '<p>The figures.</p>',
      });
      // A subject longer than an activity holds: seen, not tracked, moved to Undeliverable.
      sim.admin.deliver({ from: 'dan@fabrikam.test', to: ['ann@console.test'], subject: 'x'.repeat(401) });
      await eventually(
        async () => (await call('GET', `/api/v1/mailboxes/${ann.id}/ledger`)).body?.items?.length === 2,
        60_000,
        'both messages in the ledger',
      );
      // Other tests may send email from Ann: this one looks for the message it delivered.
      await eventually(
        async () => {
          const incoming = (
            await call('GET', `/api/v1/email-activities?mailboxId=${ann.id}&direction=Incoming`)
          ).body as { items?: { subject: string }[] };
          return (incoming.items ?? []).some((a) => a.subject === 'Quarterly figures');
        },
        30_000,
        'the tracked message listed',
      );

      await page.goto(`${relay.url}/mailboxes/${ann.id}`);
      await page.getByRole('heading', { name: /^Ann/ }).waitFor();
      const newEmail = region('Email activities').getByRole('link', { name: 'New Email from this mailbox' });
      expect(await newEmail.getAttribute('href')).toBe(
        `/email-activities/new?mailboxId=${encodeURIComponent(ann.id)}`,
      );
      const ledger = region('Tracking ledger');
      await ledger.locator('tbody tr').nth(1).waitFor();
      const rows = await Promise.all(
        (await ledger.locator('tbody tr').all()).map((tr) => tr.locator('th, td').allInnerTexts()),
      );
      // The long subject fails to be tracked, then (its retries spent) is moved to Undeliverable; either way, why.
      const byOutcome = new Map(rows.map((r) => [r[1]!, r]));
      expect(byOutcome.get('Tracked')?.[5]).not.toBe('No');
      const refused = rows.find((r) => r[1] !== 'Tracked')!;
      expect(['Failed', 'Moved to Undeliverable']).toContain(refused[1]);
      expect(refused[2]).toMatch(/subject|long|400/i);
      expect(refused[5]).toBe('No');
      await ledger.getByLabel('Outcome', { exact: true }).selectOption('Tracked');
      await eventually(
        async () => (await ledger.locator('tbody tr').count()) === 1,
        10_000,
        'the tracked row',
      );

      const latency = region('Tracking latency');
      await latency.getByRole('img', { name: /Tracking latency, last 24 hours/ }).waitFor();
      expect(await latency.locator('dt:has-text("Messages tracked") + dd').innerText()).toBe('1');
      expect(await latency.locator('dt:text-is("p95") + dd').innerText()).toMatch(/\d/);
      await latency.getByText('Latency per interval, as a table').click();
      expect(
        await latency
          .getByRole('table', { name: 'Tracking latency per interval' })
          .locator('tbody tr')
          .count(),
      ).toBe(24);

      await region('Email activities').getByRole('link', { name: 'Quarterly figures' }).waitFor();
      // Ann's Test & Enable may have put an Information alert on the owner's wall: the page shows what the API has.
      const wall = (await call('GET', `/api/v1/users/${ann.ownerId}/alerts`)).body as {
        items: { mailboxId?: string; message: string }[];
      };
      const about = wall.items.filter((a) => a.mailboxId === ann.id);
      if (about.length === 0) await region('Alerts').getByText('No alerts about this mailbox').waitFor();
      else
        await eventually(
          async () =>
            JSON.stringify(await region('Alerts').locator('tbody th').allInnerTexts()) ===
            JSON.stringify(about.map((a) => a.message)),
          10_000,
          "Ann's alerts",
        );

      const audit = region('Audit');
      await audit.locator('ol.timeline li').first().waitFor();
      const types = await audit.locator('ol.timeline li strong').allInnerTexts();
      expect(types.slice(0, 2)).toEqual(['MailboxProvisioned', 'MailboxEmailApproved']);
      await shot('mailbox-detail');
    });

    it("shows the alerts about a mailbox on its owner's wall", async () => {
      const cyd = await mailboxNamed('cyd');
      await eventually(
        async () => {
          const wall = (await call('GET', `/api/v1/users/${cyd.ownerId}/alerts`)).body as {
            items?: { mailboxId?: string }[];
          };
          return (wall.items ?? []).some((a) => a.mailboxId === cyd.id);
        },
        30_000,
        "an alert about Cyd's mailbox",
      );
      await page.goto(`${relay.url}/mailboxes/${cyd.id}`);
      const alerts = region('Alerts');
      await alerts.getByRole('table', { name: 'Alerts about this mailbox, newest first' }).waitFor();
      expect(await alerts.locator('tbody tr').first().innerText()).toMatch(
        /Error[\s\S]*Cyd[\s\S]*Test & Enable failed/,
      );
    });

    it('sets write-only credentials, and shows the state as of a time before and after', async () => {
      const northwind = await call('POST', '/api/v1/email-server-profiles', {
        name: 'Northwind Exchange',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
      });
      const hal = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: 'Hal',
        emailAddress: 'hal@console.test',
        serverProfileId: northwind.body.id,
        ...SSS,
      });
      expect([northwind.status, hal.status]).toEqual([201, 201]);
      const id = hal.body.id as string;
      await eventually(
        async () => (await call('GET', `/api/v1/audit/mailboxes/${id}`)).status === 200,
        30_000,
        "Hal's history readable",
      );
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await sleep(1100);
      const beforeCredentials = new Date();
      await sleep(1100);

      // A profile that does not use mailbox credentials: the API refuses them, and the page says why.
      const ann = await mailboxNamed('ann');
      await page.goto(`${relay.url}/mailboxes/${ann.id}`);
      let credentials = region('Credentials');
      await credentials.getByLabel('User Name', { exact: true }).fill('CONTOSO\\ann');
      await credentials.getByLabel('Password', { exact: true }).fill('Ann-Passw0rd!');
      await credentials.getByRole('button', { name: 'Save Credentials' }).click();
      await credentials.getByRole('alert').waitFor();

      await page.goto(`${relay.url}/mailboxes/${id}`);
      await page.getByRole('heading', { name: /^Hal/ }).waitFor();
      credentials = region('Credentials');
      await credentials.getByText('No password is stored.').waitFor();
      await credentials.getByLabel('User Name', { exact: true }).fill('CONTOSO\\hal');
      await credentials.getByLabel('Password', { exact: true }).fill('Hal-Passw0rd!');
      await credentials.getByRole('button', { name: 'Save Credentials' }).click();
      await credentials.getByRole('status').filter({ hasText: 'Credentials saved.' }).waitFor();
      await credentials.getByText('A password is stored.').waitFor();
      expect(await credentials.getByLabel('Password', { exact: true }).inputValue()).toBe('');
      expect(await credentials.getByLabel('User Name', { exact: true }).inputValue()).toBe('CONTOSO\\hal');
      expect(await page.content()).not.toContain('Hal-Passw0rd!');
      expect((await call('GET', `/api/v1/mailboxes/${id}`)).body).toMatchObject({
        credentialsSet: true,
        credentialsUserName: 'CONTOSO\\hal',
      });

      // The audit trail is a projection, a moment behind the write: Refresh once it holds the event.
      await eventually(
        async () => ((await call('GET', `/api/v1/audit/mailboxes/${id}`)).body?.events?.length ?? 0) === 2,
        15_000,
        'the credentials in the audit trail',
      );
      await page.getByRole('button', { name: 'Refresh' }).click();
      const audit = region('Audit');
      await eventually(
        async () =>
          (await audit.locator('ol.timeline li strong').allInnerTexts()).includes('MailboxCredentialsSet'),
        15_000,
        'the credentials in the timeline',
      );
      expect(await audit.innerText()).not.toContain('Hal-Passw0rd!');

      const asOf = audit.getByLabel('State as of', { exact: true });
      await asOf.fill(localTime(beforeCredentials));
      await audit.getByRole('button', { name: 'Show state' }).click();
      const state = audit.locator('dl[aria-label^="State as of"]');
      await eventually(
        async () => (await state.count()) === 1 && (await state.innerText()).includes('Not set'),
        10_000,
        'the state before the credentials',
      );
      expect(await state.locator('dt:text-is("Version") + dd').innerText()).toBe('1');
      await shot('mailbox-as-of');

      await asOf.fill(localTime(new Date(Date.now() + 1000)));
      await audit.getByRole('button', { name: 'Show state' }).click();
      await eventually(
        async () => (await state.innerText()).includes('Set (user name CONTOSO\\hal)'),
        10_000,
        'the state after the credentials',
      );
      expect(await state.locator('dt:text-is("Version") + dd').innerText()).toBe('2');
    });
  });

  it('returns to the sign-in screen on a 401, takes a pasted token, and forgets it on sign-out', async () => {
    await page.evaluate("sessionStorage.setItem('ssync.console.token', 'not-a-token')");
    await page.goto(`${relay.url}/settings/email`);
    await page.getByRole('alert').filter({ hasText: 'did not accept the token' }).waitFor();
    await shot('sign-in');
    await field('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'System Settings › Email' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await field('Bearer token').waitFor();
    expect(await storedToken()).toBeNull();
  });

  it('never sent the token in a URL or a header other than Authorization, nor did the API log it', () => {
    const consoleRequests = relay.seen.filter((r) => r.headers['user-agent']?.includes('Chrome'));
    expect(consoleRequests.length).toBeGreaterThan(10);
    const leaks = consoleRequests.flatMap((r) => [
      ...(r.url.includes(token) ? [`${r.method} ${r.url}`] : []),
      ...Object.entries(r.headers)
        .filter(([name, value]) => name !== 'authorization' && String(value).includes(token))
        .map(([name]) => `${r.method} ${r.url}: ${name}`),
    ]);
    expect(leaks).toEqual([]);
    expect(consoleRequests.some((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
    expect(api.output).not.toContain(token);
  });
});
