import { OrganizationEmailSettingsPatch, ServiceInterruption } from './types';

/**
 * `changes` holds what changed. The first event of an organization holds every field, so that replay never
 * depends on ORGANIZATION_EMAIL_DEFAULTS as they are in the code at replay time.
 */
export type OrganizationEvent =
  | {
      type: 'OrganizationEmailSettingsChanged';
      data: { organizationId: string; changes: OrganizationEmailSettingsPatch };
    }
  /** A worker could not reach a dependency and put work off (issue #11): what the administrators' alerts show. */
  | { type: 'ServiceInterruptionRecorded'; data: { organizationId: string } & ServiceInterruption };

export type OrganizationEventType = OrganizationEvent['type'];
