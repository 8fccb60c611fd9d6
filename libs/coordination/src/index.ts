export * from './lease-limiter';
export * from './pooled-lease-limiter';
