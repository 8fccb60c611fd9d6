export * from './read-models';
export * from './projection/versions';
export * from './projection/projector';
export * from './projection/redact';
export * from './projection/mongo-errors';
export * from './profiles/profile-view';
export * from './profiles/profile.schema';
export * from './audit/audit.schema';
