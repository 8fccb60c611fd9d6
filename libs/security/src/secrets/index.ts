export * from './credential-context';
export * from './keyring';
export * from './secret-box';
export * from './secrets.module';
