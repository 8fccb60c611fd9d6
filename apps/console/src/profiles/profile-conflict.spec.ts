import type { Profile } from '../api/client';
import { profileChanges, rebaseProfileForm } from './profile-conflict';
import { formFromProfile } from './profile-form';
import { STORED_PROFILE as OPENED } from './test-fixtures';

const saved = (changes: Partial<Profile>): Profile => ({ ...OPENED, version: 4, ...changes });
const edited = (changes: Partial<ReturnType<typeof formFromProfile>>) => ({
  ...formFromProfile(OPENED),
  ...changes,
});

describe("someone else's change, as the notice lists it", () => {
  it('names each changed field by its label, old value to new', () => {
    expect(profileChanges(OPENED, saved({ maxConcurrentConnections: 20, description: 'EU' }))).toEqual([
      { field: 'description', label: 'Description', secret: false, from: '(empty)', to: 'EU' },
      {
        field: 'maxConcurrentConnections',
        label: 'Maximum Concurrent Connections',
        secret: false,
        from: '10',
        to: '20',
      },
    ]);
  });

  it('shows choices and yes/no by the words on screen', () => {
    expect(
      profileChanges(
        OPENED,
        saved({ incomingAuthenticationProtocol: 'Basic', autoDiscoverServerLocation: true }),
      ),
    ).toMatchObject([
      { label: 'Auto Discover Server Location', from: 'No', to: 'Yes' },
      { label: 'Incoming Authentication Protocol', from: 'NTLM', to: 'Basic' },
    ]);
  });

  it('says only that a password changed, never a value', () => {
    const [change] = profileChanges(OPENED, saved({ outgoingPasswordSet: true }));
    expect(change).toEqual({ field: 'outgoingPassword', label: 'Outgoing Password', secret: true });
  });

  it('lists nothing when only the version moved', () => {
    expect(profileChanges(OPENED, saved({}))).toEqual([]);
  });
});

describe('the form rebased on the new version', () => {
  it("keeps the user's edits to fields the other change left alone, and takes the other change", () => {
    const { form, conflicts } = rebaseProfileForm(
      edited({ description: 'mine' }),
      OPENED,
      saved({ maxConcurrentConnections: 20 }),
    );
    expect([form.description, form.maxConcurrentConnections, conflicts]).toEqual(['mine', '20', []]);
  });

  it('shows their value where both changed a field differently, and marks it for the user to decide', () => {
    const { form, conflicts } = rebaseProfileForm(
      edited({ name: 'Mine' }),
      OPENED,
      saved({ name: 'Theirs' }),
    );
    expect([form.name, conflicts]).toEqual(['Theirs', ['name']]);
  });

  it('is no conflict when both made the same change', () => {
    const { form, conflicts } = rebaseProfileForm(edited({ name: 'Same' }), OPENED, saved({ name: 'Same' }));
    expect([form.name, conflicts]).toEqual(['Same', []]);
  });

  it('keeps a typed password unless the other change stored or removed one too', () => {
    const kept = rebaseProfileForm(edited({ password: 's3cret' }), OPENED, saved({ name: 'Theirs' }));
    expect([kept.form.password, kept.conflicts]).toEqual(['s3cret', []]);
    const clash = rebaseProfileForm(
      edited({ outgoingPassword: 's3cret' }),
      OPENED,
      saved({ outgoingPasswordSet: true }),
    );
    expect([clash.form.outgoingPassword, clash.conflicts]).toEqual(['', ['outgoingPassword']]);
  });
});
