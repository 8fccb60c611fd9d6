import type { OrganizationEmailSettings } from '../api/client';
import { rebaseSettingsForm, settingsChanges, settingsFormOf } from './settings-conflict';

const OPENED: OrganizationEmailSettings = {
  version: 3,
  defaultServerProfileId: 'p1',
  incomingEmailDeliveryMethod: 'ServerSideSync',
  outgoingEmailDeliveryMethod: 'ServerSideSync',
  actDeliveryMethod: 'ServerSideSync',
  processEmailsOnlyForApprovedUsers: true,
  processEmailsOnlyForApprovedQueues: true,
};
const saved = (changes: Partial<OrganizationEmailSettings>) => ({ ...OPENED, version: 4, ...changes });
const edited = (changes: Partial<OrganizationEmailSettings>) => ({ ...settingsFormOf(OPENED), ...changes });
const names: Record<string, string> = { p1: 'Contoso', p2: 'Fabrikam' };

describe("someone else's change to the email settings, as the notice lists it", () => {
  it('names each changed field by its label, a profile by its name and a method by its words', () => {
    expect(
      settingsChanges(
        OPENED,
        saved({ defaultServerProfileId: 'p2', actDeliveryMethod: 'Outlook' }),
        (id) => names[id],
      ),
    ).toEqual([
      {
        field: 'defaultServerProfileId',
        label: 'Server Profile',
        secret: false,
        from: 'Contoso',
        to: 'Fabrikam',
      },
      {
        field: 'actDeliveryMethod',
        label: 'Appointments, Contacts, and Tasks',
        secret: false,
        from: 'Server-Side Synchronization',
        to: 'Outlook',
      },
    ]);
  });

  it('shows no profile as (none), an unknown one by its id, and the approval boxes as yes/no', () => {
    expect(
      settingsChanges(
        saved({ defaultServerProfileId: null }),
        saved({ defaultServerProfileId: 'gone', processEmailsOnlyForApprovedQueues: false }),
      ),
    ).toMatchObject([
      { label: 'Server Profile', from: '(none)', to: 'gone' },
      { label: 'Process emails only for approved queues', from: 'Yes', to: 'No' },
    ]);
  });

  it('lists nothing when only the version moved', () => {
    expect(settingsChanges(OPENED, saved({}))).toEqual([]);
  });
});

describe('the settings form rebased on the new version', () => {
  it("keeps the user's edits to fields the other change left alone, and takes the other change", () => {
    const { form, conflicts } = rebaseSettingsForm(
      edited({ processEmailsOnlyForApprovedUsers: false }),
      OPENED,
      saved({ incomingEmailDeliveryMethod: 'None' }),
    );
    expect([form.processEmailsOnlyForApprovedUsers, form.incomingEmailDeliveryMethod, conflicts]).toEqual([
      false,
      'None',
      [],
    ]);
  });

  it('shows their value where both changed a field differently, and marks it for the user to decide', () => {
    const { form, conflicts } = rebaseSettingsForm(
      edited({ defaultServerProfileId: null }),
      OPENED,
      saved({ defaultServerProfileId: 'p2' }),
    );
    expect([form.defaultServerProfileId, conflicts]).toEqual(['p2', ['defaultServerProfileId']]);
  });

  it('is no conflict when both made the same change', () => {
    const { form, conflicts } = rebaseSettingsForm(
      edited({ outgoingEmailDeliveryMethod: 'None' }),
      OPENED,
      saved({ outgoingEmailDeliveryMethod: 'None' }),
    );
    expect([form.outgoingEmailDeliveryMethod, conflicts]).toEqual(['None', []]);
  });
});
