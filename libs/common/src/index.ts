export * from './config';
export * from './json';
export * from './health-server';
export * from './readiness';
export * from './process-guards';
export * from './logging';
export * from './database-faults';
export * from './metrics';
