export * from './config';
export * from './json';
