import {
  BasePropertySet,
  BodyType,
  ConflictResolutionMode,
  DeleteMode,
  EmailMessage,
  EmailMessageSchema,
  FolderId,
  FolderView,
  ItemView,
  MessageBody,
  PropertySet,
  WellKnownFolderName,
  Folder,
  SearchFilter,
  ItemSchema,
  SendInvitationsMode,
  Appointment,
  DateTime,
  Contact,
  EmailAddressKey,
  Task,
  ExtendedPropertyDefinition,
  MapiPropertyType,
  ItemId,
  StreamingSubscriptionConnection,
  EventType,
  SyncFolderItemsScope,
  LogicalOperator,
} from 'ews-javascript-api';
import { client, startTestSimulator, validateBodies } from './support';
import { NO_IDS, NO_STATE } from './support';

type Sim = Awaited<ReturnType<typeof startTestSimulator>>;
let sim: Sim;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

describe('ews-javascript-api with Basic auth against the simulator', () => {
  it('GetFolder, FindFolder, CreateFolder', async () => {
    const svc = client(sim);
    const inbox = await Folder.Bind(svc, WellKnownFolderName.Inbox);
    expect(inbox.DisplayName).toBe('Inbox');
    const created = new Folder(svc);
    created.DisplayName = 'Undeliverable';
    await created.Save(WellKnownFolderName.MsgFolderRoot);
    expect(created.Id.UniqueId).toBeTruthy();
    const found = await svc.FindFolders(WellKnownFolderName.MsgFolderRoot, new FolderView(100));
    expect(found.Folders.map((f) => f.DisplayName)).toEqual(
      expect.arrayContaining(['Inbox', 'Sent Items', 'Undeliverable']),
    );
  });

  it('delivers via admin, then FindItem with paging and restrictions, GetItem with body', async () => {
    for (let i = 0; i < 7; i++)
      sim.admin.deliver({
        from: 'dan@fabrikam.com',
        to: ['alice@contoso.com'],
        subject: `Paged ${i} & <more>`,
        body: `<p>n=${i}</p>`,
        receivedAt: new Date(Date.UTC(2024, 0, 1 + i)),
      });
    const svc = client(sim);
    const view = new ItemView(3);
    view.PropertySet = new PropertySet(BasePropertySet.FirstClassProperties);
    const page1 = await svc.FindItems(WellKnownFolderName.Inbox, view);
    expect(page1.Items.length).toBe(3);
    expect(page1.MoreAvailable).toBe(true);
    expect(page1.TotalCount).toBe(7);
    view.Offset = page1.NextPageOffset ?? 0;
    const page2 = await svc.FindItems(WellKnownFolderName.Inbox, view);
    expect(page2.Items.length).toBe(3);
    const filter = new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
      new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'paged'),
      new SearchFilter.IsGreaterThanOrEqualTo(
        ItemSchema.DateTimeReceived,
        new DateTime(Date.UTC(2024, 0, 5)),
      ),
    ]);
    const filtered = await svc.FindItems(WellKnownFolderName.Inbox, filter, new ItemView(50));
    expect(filtered.Items.map((i) => i.Subject).sort()).toEqual([
      'Paged 4 & <more>',
      'Paged 5 & <more>',
      'Paged 6 & <more>',
    ]);
    const first = filtered.Items[0];
    if (!first) throw new Error('no item');
    const props = new PropertySet(BasePropertySet.FirstClassProperties, [
      ItemSchema.Body,
      EmailMessageSchema.InternetMessageId,
    ]);
    const resp = await svc.BindToItems([first.Id], props);
    const msg = resp.Responses[0]?.Item as EmailMessage;
    expect(msg.Body.Text).toContain('<p>n=');
    expect(msg.InternetMessageId).toMatch(/^<.+>$/);
  });

  it('SyncFolderItems: initial, incremental exactly once, read flag, delete', async () => {
    const svc = client(sim, { user: 'bob' });
    const ps = new PropertySet(BasePropertySet.IdOnly);
    let r = await svc.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      ps,
      NO_IDS,
      512,
      SyncFolderItemsScope.NormalItems,
      NO_STATE,
    );
    expect(r.Count).toBe(0);
    let state = r.SyncState;
    sim.admin.deliver({ from: 'x@fabrikam.com', to: ['bob@contoso.com'], subject: 'once' });
    r = await svc.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      ps,
      NO_IDS,
      512,
      SyncFolderItemsScope.NormalItems,
      state,
    );
    expect(r.Count).toBe(1);
    expect(r._getItem(0).ChangeType).toBe(0 /* Create */);
    state = r.SyncState;
    r = await svc.SyncFolderItems(
      new FolderId(WellKnownFolderName.Inbox),
      ps,
      NO_IDS,
      512,
      SyncFolderItemsScope.NormalItems,
      state,
    );
    expect(r.Count).toBe(0);
  });
});

afterAll(async () => {
  const v = await validateBodies(sim.responses.map((r) => r.xml));
  expect(v.errors).toEqual([]);
  expect(v.valid).toBe(true);
});
void [
  BodyType,
  ConflictResolutionMode,
  DeleteMode,
  EmailMessage,
  MessageBody,
  SendInvitationsMode,
  Appointment,
  Contact,
  EmailAddressKey,
  Task,
  ExtendedPropertyDefinition,
  MapiPropertyType,
  ItemId,
  StreamingSubscriptionConnection,
  EventType,
];
