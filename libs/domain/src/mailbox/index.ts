export * from './types';
export * from './commands';
export * from './events';
export * from './decider';
export * from './facts';
export * from './sync';
export * from './operational';
