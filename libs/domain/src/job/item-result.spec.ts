import { ItemReply, bulkItemResult } from './item-result';

const reply = (changes: Partial<ItemReply>): ItemReply => ({
  accepted: true,
  duplicate: false,
  changed: true,
  refusal: null,
  ...changes,
});

describe('a mailbox result in a bulk job', () => {
  it("is a refusal with the owner's reason", () => {
    expect(
      bulkItemResult(
        'DeactivateMailboxes',
        'm-1',
        reply({ accepted: false, changed: false, refusal: 'mailbox m-1 does not exist' }),
      ),
    ).toEqual({ mailboxId: 'm-1', outcome: 'Refused', reason: 'mailbox m-1 does not exist' });
  });

  it('says a deactivation changed nothing when the mailbox was already inactive', () => {
    expect(bulkItemResult('DeactivateMailboxes', 'm-1', reply({ changed: false }))).toEqual({
      mailboxId: 'm-1',
      outcome: 'Done',
      reason: 'already inactive: nothing changed',
    });
    expect(bulkItemResult('DeactivateMailboxes', 'm-1', reply({}))).toEqual({
      mailboxId: 'm-1',
      outcome: 'Done',
    });
  });

  it("reports a resumed job's repeated command as done, not as already so: the first send did it", () => {
    expect(bulkItemResult('DeactivateMailboxes', 'm-1', reply({ duplicate: true, changed: false }))).toEqual({
      mailboxId: 'm-1',
      outcome: 'Done',
    });
  });

  it("leaves the other jobs' no-ops without a reason", () => {
    expect(bulkItemResult('ApproveEmail', 'm-1', reply({ changed: false }))).toEqual({
      mailboxId: 'm-1',
      outcome: 'Done',
    });
  });
});
