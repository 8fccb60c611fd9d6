import type { OrganizationEmailSettings } from '../api/client';
import { type ConflictFields, type Rebased, fieldChanges, plainText, rebaseForm } from '../ui/form-conflict';
import { ACT_LABELS, INCOMING_LABELS, OUTGOING_LABELS } from '../mailboxes/labels';

export type SettingsForm = Omit<OrganizationEmailSettings, 'version'>;

export const EMAIL_SETTINGS_LABELS: Record<keyof SettingsForm, string> = {
  defaultServerProfileId: 'Server Profile',
  incomingEmailDeliveryMethod: 'Incoming Email',
  outgoingEmailDeliveryMethod: 'Outgoing Email',
  actDeliveryMethod: 'Appointments, Contacts, and Tasks',
  processEmailsOnlyForApprovedUsers: 'Process emails only for approved users',
  processEmailsOnlyForApprovedQueues: 'Process emails only for approved queues',
};

export function settingsFormOf(settings: OrganizationEmailSettings): SettingsForm {
  const { version: _version, ...form } = settings;
  return form;
}

/** The settings' fields as the page shows them; a profile by its name (`profileName`), else by its id. */
function settingsFields(
  profileName: (id: string) => string | undefined,
): ConflictFields<SettingsForm, OrganizationEmailSettings> {
  return {
    labels: EMAIL_SETTINGS_LABELS,
    formOf: settingsFormOf,
    shown: (key, value) => {
      switch (key) {
        case 'defaultServerProfileId':
          return value === null ? '(none)' : (profileName(value as string) ?? (value as string));
        case 'incomingEmailDeliveryMethod':
          return INCOMING_LABELS[value as SettingsForm['incomingEmailDeliveryMethod']];
        case 'outgoingEmailDeliveryMethod':
          return OUTGOING_LABELS[value as SettingsForm['outgoingEmailDeliveryMethod']];
        case 'actDeliveryMethod':
          return ACT_LABELS[value as SettingsForm['actDeliveryMethod']];
        case 'processEmailsOnlyForApprovedUsers':
        case 'processEmailsOnlyForApprovedQueues':
          return plainText(value);
      }
    },
  };
}

/** The user's form, rebased from the settings they opened on the version someone else saved since. */
export const rebaseSettingsForm = (
  mine: SettingsForm,
  base: OrganizationEmailSettings,
  theirs: OrganizationEmailSettings,
  profileName: (id: string) => string | undefined = () => undefined,
): Rebased<SettingsForm> => rebaseForm(settingsFields(profileName), mine, base, theirs);

/** What changed between two versions of the settings, field by field. */
export const settingsChanges = (
  before: OrganizationEmailSettings,
  after: OrganizationEmailSettings,
  profileName: (id: string) => string | undefined = () => undefined,
) => fieldChanges(settingsFields(profileName), before, after);
