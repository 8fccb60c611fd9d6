export * from './keyring';
export * from './secret-box';
export * from './secrets.module';
