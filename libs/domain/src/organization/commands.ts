import { CommandMeta } from '../shared/decider';
import { ProfileFacts } from '../shared/facts';
import { OrganizationEmailSettingsPatch, ServiceInterruption } from './types';

export type OrganizationCommand = CommandMeta &
  (
    | {
        type: 'SetOrganizationEmailSettings';
        /** One aggregate per organization: its id is the organization id. */
        organizationId: string;
        /** Full or partial; fields not given keep their value (the defaults before the first change). */
        changes: OrganizationEmailSettingsPatch;
        /** Required when `changes.defaultServerProfileId` names a profile: that profile's facts. */
        defaultServerProfile?: ProfileFacts;
      }
    | ({
        type: 'RecordServiceInterruption';
        /** Sent to the organization's service stream ({@link serviceStreamId}), not to its settings stream. */
        organizationId: string;
      } & ServiceInterruption)
  );

export type OrganizationCommandType = OrganizationCommand['type'];
