export * from './envelope';
export * from './topics';
export * from './kafka';
export * from './aggregate-store';
export * from './command-processor';
export * from './command-gateway';
export * from './event-consumer';
