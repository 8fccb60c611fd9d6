export * from './lease-limiter';
