export * from './shared/decider';
export * from './shared/rules';
export * from './profile';
