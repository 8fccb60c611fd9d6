import {
  Appointment,
  AutodiscoverService,
  BasePropertySet,
  BodyType,
  ConflictResolutionMode,
  Contact,
  DateTime,
  DeleteMode,
  EmailAddress,
  EmailAddressKey,
  EmailMessage,
  EmailMessageSchema,
  EventType,
  ExchangeVersion,
  ExtendedPropertyDefinition,
  FolderId,
  Folder,
  FolderView,
  ItemView,
  MapiPropertyType,
  MessageBody,
  PropertySet,
  SearchFilter,
  SendInvitationsMode,
  StreamingSubscriptionConnection,
  SyncFolderItemsScope,
  Task,
  TaskStatus,
  Uri,
  UserSettingName,
  WebCredentials,
  WellKnownFolderName,
  ItemSchema,
  ContactSchema,
  AppointmentSchema,
  TaskSchema,
  CalendarView,
  Mailbox,
  Item,
  LogicalOperator,
  DefaultExtendedPropertySet,
  ItemId,
} from 'ews-javascript-api';
import { XhrApi } from '@ewsjs/xhr';
import { PASSWORD, client, ewsErrorOf, startTestSimulator, validateBodies } from './support';
import { NO_IDS, NO_STATE } from './support';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;
let sim: Sim;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
  const v = await validateBodies(sim.responses.map((r) => r.xml));
  expect(v.errors).toEqual([]);
  expect(v.count).toBeGreaterThan(20);
});

const CRM_ID = new ExtendedPropertyDefinition(
  DefaultExtendedPropertySet.PublicStrings,
  'CrmActivityId',
  MapiPropertyType.String,
);

async function findBySubject(
  svc: ReturnType<typeof client>,
  folder: WellKnownFolderName,
  subject: string,
): Promise<Item[]> {
  const r = await svc.FindItems(
    folder,
    new SearchFilter.IsEqualTo(ItemSchema.Subject, subject),
    new ItemView(50),
  );
  return r.Items;
}

describe.each([
  ['Basic', { auth: 'basic' as const }],
  ['NTLM', { auth: 'ntlm' as const }],
  ['Basic + impersonation (SMTP)', { auth: 'basic' as const, user: 'svc', impersonate: 'alice@contoso.com' }],
  [
    'NTLM + impersonation (UPN)',
    {
      auth: 'ntlm' as const,
      user: 'svc',
      impersonate: 'alice@contoso.local',
      impersonateBy: 'PrincipalName' as const,
    },
  ],
])('every operation via ews-javascript-api: %s', (label, opts) => {
  const tag = label.replace(/\W+/g, '-');
  const svc = (): ReturnType<typeof client> => client(sim, opts);

  it('CreateItem SaveOnly + GetItem + UpdateItem (set/append/delete, extended property) + MoveItem + DeleteItem', async () => {
    const s = svc();
    const draft = new EmailMessage(s);
    draft.Subject = `Draft ${tag}`;
    draft.Body = new MessageBody(BodyType.Text, 'Hello');
    draft.ToRecipients.Add('bob@contoso.com');
    draft.SetExtendedProperty(CRM_ID, 'act-1');
    await draft.Save(WellKnownFolderName.Drafts);
    expect(draft.Id.UniqueId).toBeTruthy();

    const props = new PropertySet(BasePropertySet.FirstClassProperties, [CRM_ID, ItemSchema.Body]);
    const got = await EmailMessage.Bind(s, draft.Id, props);
    expect(got.Subject).toBe(`Draft ${tag}`);
    expect(got.ExtendedProperties.Count).toBe(1);
    expect(got.ExtendedProperties._getItem(0).Value).toBe('act-1');

    got.Subject = `Draft ${tag} v2`;
    got.SetExtendedProperty(CRM_ID, 'act-2');
    got.IsRead = true;
    await got.Update(ConflictResolutionMode.AutoResolve);
    const again = await EmailMessage.Bind(s, draft.Id, props);
    expect(again.Subject).toBe(`Draft ${tag} v2`);
    expect(again.ExtendedProperties._getItem(0).Value).toBe('act-2');

    again.RemoveExtendedProperty(CRM_ID);
    await again.Update(ConflictResolutionMode.AlwaysOverwrite);
    const third = await EmailMessage.Bind(s, draft.Id, props);
    expect(third.ExtendedProperties.Count).toBe(0);

    const archive = new Folder(s);
    archive.DisplayName = `Archive ${tag}`;
    await archive.Save(WellKnownFolderName.MsgFolderRoot);
    const moved = await third.Move(archive.Id);
    expect(moved?.Id.UniqueId).toBeTruthy();
    expect(moved?.Id.UniqueId).not.toBe(draft.Id.UniqueId);
    await moved?.Delete(DeleteMode.MoveToDeletedItems);
    const deleted = await findBySubject(s, WellKnownFolderName.DeletedItems, `Draft ${tag} v2`);
    expect(deleted.length).toBe(1);
    await deleted[0]?.Delete(DeleteMode.HardDelete);
    expect(await findBySubject(s, WellKnownFolderName.DeletedItems, `Draft ${tag} v2`)).toHaveLength(0);
  });

  it('CreateItem SendAndSaveCopy: recipient inbox + sender Sent Items, then SyncFolderItems sees it once', async () => {
    const s = svc();
    const bob = client(sim, { user: 'bob' });
    const ps = new PropertySet(BasePropertySet.FirstClassProperties);
    const init = await bob.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      ps,
      NO_IDS,
      512,
      SyncFolderItemsScope.NormalItems,
      NO_STATE,
    );
    const m = new EmailMessage(s);
    // ews-javascript-api does not escape text (upstream #358): callers must.
    m.Subject = `Report ${tag} &amp; &lt;co&gt;`;
    m.Body = new MessageBody(BodyType.HTML, '<b>numbers</b>');
    m.ToRecipients.Add('bob@contoso.com');
    m.CcRecipients.Add('someone@external.example');
    await m.SendAndSaveCopy();
    const sent = await findBySubject(s, WellKnownFolderName.SentItems, `Report ${tag} & <co>`);
    expect(sent).toHaveLength(1);
    const inBob = await findBySubject(bob, WellKnownFolderName.Inbox, `Report ${tag} & <co>`);
    expect(inBob).toHaveLength(1);
    const delta = await bob.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      ps,
      NO_IDS,
      512,
      SyncFolderItemsScope.NormalItems,
      init.SyncState,
    );
    const subjects = [...Array(delta.Count).keys()].map((i) => delta._getItem(i).Item?.Subject);
    expect(subjects.filter((x) => x === `Report ${tag} & <co>`)).toHaveLength(1);
  });

  it('CalendarItem, Contact and Task: create, find with restrictions, update', async () => {
    const s = svc();
    const appt = new Appointment(s);
    appt.Subject = `Meeting ${tag}`;
    appt.Start = new DateTime(Date.UTC(2030, 4, 1, 10));
    appt.End = new DateTime(Date.UTC(2030, 4, 1, 11));
    appt.Location = 'Room 1';
    appt.RequiredAttendees.Add('bob@contoso.com');
    await appt.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    const cal = await s.FindAppointments(
      WellKnownFolderName.Calendar,
      new CalendarView(new DateTime(Date.UTC(2030, 4, 1)), new DateTime(Date.UTC(2030, 4, 2))),
    );
    expect(cal.Items.map((a) => a.Subject)).toContain(`Meeting ${tag}`);
    const byLoc = await s.FindItems(
      WellKnownFolderName.Calendar,
      new SearchFilter.IsEqualTo(AppointmentSchema.Location, 'Room 1'),
      new ItemView(10),
    );
    expect(byLoc.Items.length).toBeGreaterThan(0);

    const c = new Contact(s);
    c.GivenName = 'Dan';
    c.Surname = `Park ${tag}`;
    c.CompanyName = 'Fabrikam';
    c.EmailAddresses._setItem(EmailAddressKey.EmailAddress1, new EmailAddress(`dan.${tag}@fabrikam.com`));
    await c.Save(WellKnownFolderName.Contacts);
    const cs = await s.FindItems(
      WellKnownFolderName.Contacts,
      new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
        new SearchFilter.IsEqualTo(ContactSchema.CompanyName, 'Fabrikam'),
        new SearchFilter.Not(new SearchFilter.IsEqualTo(ContactSchema.Surname, 'nobody')),
        new SearchFilter.Exists(ContactSchema.GivenName),
      ]),
      new ItemView(10),
    );
    expect(cs.Items.length).toBeGreaterThan(0);
    const cBound = await Contact.Bind(s, c.Id);
    expect(cBound.EmailAddresses._getItem(EmailAddressKey.EmailAddress1).Address).toBe(
      `dan.${tag}@fabrikam.com`,
    );
    cBound.JobTitle = 'CTO';
    await cBound.Update(ConflictResolutionMode.AlwaysOverwrite);

    const t = new Task(s);
    t.Subject = `Call back ${tag}`;
    t.DueDate = new DateTime(Date.UTC(2030, 0, 1));
    await t.Save(WellKnownFolderName.Tasks);
    const ts = await s.FindItems(
      WellKnownFolderName.Tasks,
      new SearchFilter.SearchFilterCollection(1 /* Or */, [
        new SearchFilter.IsLessThan(TaskSchema.DueDate, new DateTime(Date.UTC(2031, 0, 1))),
        new SearchFilter.IsEqualTo(TaskSchema.Status, 'Completed'),
      ]),
      new ItemView(10),
    );
    expect(ts.Items.map((x) => x.Subject)).toContain(`Call back ${tag}`);
    const tb = await Task.Bind(s, t.Id);
    tb.Status = TaskStatus.Completed;
    await tb.Update(ConflictResolutionMode.AlwaysOverwrite);
    const tb2 = await Task.Bind(s, t.Id);
    expect(tb2.Status).toBe(TaskStatus.Completed);
  });

  it('Subscribe + GetStreamingEvents delivers NewMail for an admin-delivered message', async () => {
    const s = svc();
    const target = 'alice@contoso.com';
    const sub = await s.SubscribeToStreamingNotifications(
      [new FolderId(WellKnownFolderName.Inbox)],
      EventType.NewMail,
      EventType.Created,
    );
    const conn = new StreamingSubscriptionConnection(s, 1);
    conn.AddSubscription(sub);
    const got = new Promise<string[]>((resolve) => {
      conn.OnNotificationEvent.push((_o, args) => resolve(args.Events.map((e) => String(e.EventType))));
    });
    void conn.Open();
    await new Promise((r) => setTimeout(r, 300));
    sim.admin.deliver({ from: 'stream@fabrikam.com', to: [target], subject: `stream ${tag}` });
    const events = await got;
    expect(events.length).toBeGreaterThan(0);
    conn.Close();
  });
});

describe('access and errors', () => {
  it('SID impersonation works', async () => {
    const carol = sim.store.mailbox('carol@contoso.com');
    const s = client(sim, { user: 'svc', impersonate: carol?.sid ?? '', impersonateBy: 'SID' });
    const f = await Folder.Bind(s, WellKnownFolderName.Inbox);
    expect(f.DisplayName).toBe('Inbox');
  });
  it('ErrorImpersonateUserDenied for a mailbox outside the grant and for an account without a grant', async () => {
    const inbox = WellKnownFolderName.Inbox;
    expect(
      await ewsErrorOf(
        Folder.Bind(client(sim, { user: 'limited', impersonate: 'alice@contoso.com' }), inbox),
      ),
    ).toBe('ErrorImpersonateUserDenied');
    expect(
      await ewsErrorOf(Folder.Bind(client(sim, { user: 'limited', impersonate: 'bob@contoso.com' }), inbox)),
    ).toBe('NoError');
    expect(
      await ewsErrorOf(Folder.Bind(client(sim, { user: 'bob', impersonate: 'alice@contoso.com' }), inbox)),
    ).toBe('ErrorImpersonateUserDenied');
  });
  it('ErrorNonExistentMailbox', async () => {
    const inbox = WellKnownFolderName.Inbox;
    expect(
      await ewsErrorOf(Folder.Bind(client(sim, { user: 'svc', impersonate: 'ghost@contoso.com' }), inbox)),
    ).toBe('ErrorNonExistentMailbox');
    expect(await ewsErrorOf(Folder.Bind(client(sim, { user: 'nomailbox' }), inbox))).toBe(
      'ErrorNonExistentMailbox',
    );
  });
  it('ErrorAccessDenied on another mailbox, ErrorItemNotFound for a missing item', async () => {
    const s = client(sim, { user: 'bob' });
    expect(
      await ewsErrorOf(
        Folder.Bind(s, new FolderId(WellKnownFolderName.Inbox, new Mailbox('alice@contoso.com'))),
      ),
    ).toBe('ErrorAccessDenied');
    expect(await ewsErrorOf(EmailMessage.Bind(s, new ItemId('AAMkAGnope')))).toBe('ErrorItemNotFound');
  });
  it('401 for wrong Basic and NTLM passwords', async () => {
    expect(await ewsErrorOf(Folder.Bind(client(sim, { password: 'wrong' }), WellKnownFolderName.Inbox))).toBe(
      'HTTP401',
    );
    expect(
      await ewsErrorOf(
        Folder.Bind(client(sim, { auth: 'ntlm', password: 'wrong' }), WellKnownFolderName.Inbox),
      ),
    ).not.toBe('NoError');
    const r = await fetch(sim.ewsUrl, { method: 'POST', body: '<x/>' });
    expect(r.status).toBe(401);
  });
  it('ErrorInvalidSyncStateData for a forged sync state', async () => {
    const s = client(sim);
    const forged = Buffer.from('garbage').toString('base64');
    const p = s.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      PropertySet.IdOnly,
      NO_IDS,
      10,
      SyncFolderItemsScope.NormalItems,
      forged,
    );
    expect(await ewsErrorOf(p)).toBe('ErrorInvalidSyncStateData');
  });
  it('Autodiscover GetUserSettings', async () => {
    const ad = new AutodiscoverService(new Uri(sim.autodiscoverUrl), ExchangeVersion.Exchange2013_SP1);
    ad.XHRApi = new XhrApi({ timeout: 10000 });
    ad.Credentials = new WebCredentials('alice', PASSWORD);
    const r = await ad.GetUserSettings('alice@contoso.com', [
      UserSettingName.InternalEwsUrl,
      UserSettingName.UserDisplayName,
    ]);
    const u = r;
    expect(u?.Settings.get(UserSettingName.InternalEwsUrl)).toBe(sim.ewsUrl);
    expect(u?.Settings.get(UserSettingName.UserDisplayName)).toBe('Alice Anders');
  });
  it('FolderView paging over many folders', async () => {
    const s = client(sim);
    const r = await s.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(2));
    expect(r.Folders.length).toBe(2);
    expect(r.MoreAvailable).toBe(true);
  });
});
void EmailMessageSchema;
