export * from './auth-config';
export * from './auth.guard';
export * from './auth.module';
export * from './decorators';
export * from './privileges';
export * from './token.service';
export * from './issue-token-cli';
