import { Schema } from 'mongoose';
import { OrganizationEmailSettings } from '@ssync/domain';

/** Organization email configuration settings (SPEC O-1…O-3); one document per organization. */
export interface OrganizationSettingsDocument extends OrganizationEmailSettings {
  _id: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export const organizationSettingsSchema = new Schema<OrganizationSettingsDocument>(
  {
    _id: { type: String, required: true },
    defaultServerProfileId: { type: String, default: null },
    incomingEmailDeliveryMethod: String,
    outgoingEmailDeliveryMethod: String,
    actDeliveryMethod: String,
    processEmailsOnlyForApprovedUsers: Boolean,
    processEmailsOnlyForApprovedQueues: Boolean,
    version: Number,
    updatedAt: String,
    updatedBy: String,
  },
  { versionKey: false, _id: false, strict: true },
);
