import document from '../api/openapi.json';
import {
  NEW_PROFILE,
  ProfileForm,
  createBody,
  formFromProfile,
  isoInstant,
  localDateTime,
  shownFields,
  updateBody,
  withSameSettingsForOutgoing,
} from './profile-form';
import { EWS, STORED_PROFILE as STORED } from './test-fixtures';

const form = (changes: Partial<ProfileForm>): ProfileForm => ({
  ...NEW_PROFILE,
  name: 'Contoso',
  ...changes,
});

describe('the profile form shows the fields the seed shows', () => {
  it('hides the server locations while Auto Discover Server Location is Yes', () => {
    expect(shownFields(form({ autoDiscoverServerLocation: false })).serverLocations).toBe(true);
    expect(shownFields(form({ autoDiscoverServerLocation: true })).serverLocations).toBe(false);
  });

  it('shows user name and password only with credentials specified in the profile', () => {
    for (const [using, shown] of [
      ['CredentialsSpecifiedInEmailServerProfile', true],
      ['CredentialsSpecifiedByUserOrQueue', false],
      ['WindowsIntegratedAuthentication', false],
      ['WithoutCredentials', false],
    ] as const)
      expect([using, shownFields(form({ authenticateUsing: using })).credentials]).toEqual([using, shown]);
  });

  it('shows outgoing settings only when outgoing does not use the same settings', () => {
    const profileCredentials = form({ authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile' });
    expect(shownFields(profileCredentials)).toMatchObject({
      outgoingCredentials: false,
      outgoingProtocol: false,
    });
    expect(shownFields({ ...profileCredentials, useSameSettingsForOutgoing: false })).toMatchObject({
      outgoingCredentials: true,
      outgoingProtocol: true,
    });
  });

  it('starts outgoing as a copy of incoming when Use Same Settings for Outgoing turns No', () => {
    const f = form({ userName: 'CONTOSO\\svc', password: 'pw', incomingAuthenticationProtocol: 'NTLM' });
    expect(withSameSettingsForOutgoing(f, false)).toMatchObject({
      useSameSettingsForOutgoing: false,
      outgoingUserName: 'CONTOSO\\svc',
      outgoingPassword: 'pw',
      outgoingAuthenticationProtocol: 'NTLM',
    });
  });
});

describe('what the profile form sends', () => {
  it('leaves out what the seed hides, so the API clears it', () => {
    const body = createBody(
      form({
        autoDiscoverServerLocation: true,
        incomingServerLocation: EWS,
        authenticateUsing: 'WindowsIntegratedAuthentication',
        userName: 'left over',
        password: 'left over',
      }),
    );
    expect(Object.keys(body)).not.toEqual(
      expect.arrayContaining(['incomingServerLocation', 'outgoingServerLocation', 'userName', 'password']),
    );
    expect(body).not.toHaveProperty('outgoingAuthenticationProtocol');
  });

  it('sends empty text as null and lets the API judge it', () => {
    expect(createBody(form({ incomingServerLocation: '  ' }))).toMatchObject({
      incomingServerLocation: null,
      description: null,
    });
  });

  it('sends only what changed, and a password only when typed', () => {
    const unchanged = formFromProfile(STORED);
    expect(updateBody(unchanged, STORED)).toEqual({});
    expect(updateBody({ ...unchanged, name: 'Fabrikam', password: 'new' }, STORED)).toEqual({
      name: 'Fabrikam',
      password: 'new',
    });
    expect(updateBody({ ...unchanged, autoDiscoverServerLocation: true }, STORED)).toEqual({
      autoDiscoverServerLocation: true,
    });
  });

  it('sends Process Email From as an instant and shows one in local time', () => {
    const local = localDateTime('2026-03-01T09:30:00.000Z');
    expect(isoInstant(local)).toBe('2026-03-01T09:30:00.000Z');
    expect([isoInstant(''), localDateTime(null)]).toEqual([null, '']);
  });

  it("starts a new profile at the API's documented defaults", () => {
    const properties = Object.entries(document.components.schemas.CreateProfileDto.properties);
    const defaults = properties.flatMap(([field, p]) =>
      'default' in p ? [[field, p.default] as const] : [],
    );
    expect(defaults.length).toBeGreaterThan(0);
    // The form holds numbers as typed text.
    const start = NEW_PROFILE as unknown as Record<string, unknown>;
    for (const [field, value] of defaults)
      expect([field, String(start[field])]).toEqual([field, String(value)]);
  });
});
