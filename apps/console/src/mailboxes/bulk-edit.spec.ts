import { UNCHANGED, bulkEditChanges } from './bulk-edit';

describe('Change Multiple Records', () => {
  it('sends only the fields the administrator set: a blank field stays as each mailbox has it', () => {
    expect(
      bulkEditChanges({ ...UNCHANGED, serverProfileId: 'p1', actDeliveryMethod: 'ServerSideSync' }),
    ).toEqual({ serverProfileId: 'p1', actDeliveryMethod: 'ServerSideSync' });
  });

  it('sends nothing when nothing was set (the API refuses that with its own message)', () => {
    expect(bulkEditChanges(UNCHANGED)).toEqual({});
  });
});
