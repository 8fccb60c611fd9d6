export * from './shared/decider';
export * from './shared/rules';
export * from './shared/facts';
export * from './profile';
export * from './organization';
export * from './mailbox';
export * from './job';
