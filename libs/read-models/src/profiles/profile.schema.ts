import { Schema } from 'mongoose';
import { ProfileView } from './profile-view';

/** Profile read model document: the view plus bookkeeping. `version` is the last applied event sequence. */
export interface ProfileDocument extends ProfileView {
  _id: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  nameLower: string;
}

export const profileSchema = new Schema<ProfileDocument>(
  {
    _id: { type: String, required: true },
    id: String,
    status: String,
    version: Number,
    name: String,
    nameLower: String,
    description: { type: String, default: null },
    autoDiscoverServerLocation: Boolean,
    incomingServerLocation: { type: String, default: null },
    outgoingServerLocation: { type: String, default: null },
    authenticateUsing: String,
    userName: { type: String, default: null },
    passwordSet: Boolean,
    useSameSettingsForOutgoing: Boolean,
    outgoingUserName: { type: String, default: null },
    outgoingPasswordSet: Boolean,
    incomingAuthenticationProtocol: String,
    outgoingAuthenticationProtocol: String,
    processEmailFrom: { type: String, default: null },
    minimumPollingIntervalMinutes: Number,
    maxConcurrentConnections: Number,
    moveFailedEmailsToUndeliverableFolder: Boolean,
    ownerId: String,
    createdAt: String,
    updatedAt: String,
    updatedBy: String,
  },
  { versionKey: false, _id: false, strict: true },
);
profileSchema.index({ status: 1, nameLower: 1, _id: 1 });
profileSchema.index({ ownerId: 1 });
