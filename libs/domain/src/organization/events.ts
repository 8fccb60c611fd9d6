import { OrganizationEmailSettingsPatch } from './types';

/**
 * `changes` holds what changed. The first event of an organization holds every field, so that replay never
 * depends on ORGANIZATION_EMAIL_DEFAULTS as they are in the code at replay time.
 */
export type OrganizationEvent = {
  type: 'OrganizationEmailSettingsChanged';
  data: { organizationId: string; changes: OrganizationEmailSettingsPatch };
};

export type OrganizationEventType = OrganizationEvent['type'];
