export * from './secrets';
export * from './auth';
export type { SecurityLogger } from './shared/secret-file';
