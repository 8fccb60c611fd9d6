import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { Keyring, LoadKeyringOptions, loadKeyring } from './keyring';
import { SECURITY_KEYRING, SecretBox } from './secret-box';

export const SECRETS_MODULE_OPTIONS = 'SECRETS_MODULE_OPTIONS';

export interface SecretsModuleOptions extends LoadKeyringOptions {
  /** Use this keyring as is (tests, or an app that loads it itself). */
  keyring?: Keyring;
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Global: provides `SECURITY_KEYRING` (loaded once at boot; a bad key stops the process with a message naming
 * the variable) and `SecretBox`. Import `SecretsModule` for the defaults or `SecretsModule.forRoot(options)`.
 */
@Global()
@Module({
  providers: [
    {
      provide: SECURITY_KEYRING,
      inject: [{ token: SECRETS_MODULE_OPTIONS, optional: true }],
      useFactory: async (options: SecretsModuleOptions | undefined): Promise<Keyring> => {
        if (options?.keyring) return options.keyring;
        const keyring = await loadKeyring(options?.env ?? process.env, {
          ...options,
          logger: options?.logger ?? new Logger('SecretsModule'),
        });
        new Logger('SecretsModule').log(
          `keyring loaded from ${keyring.source}: active key '${keyring.activeKeyId}', ${keyring.keyIds.length} key(s)`,
        );
        return keyring;
      },
    },
    SecretBox,
  ],
  exports: [SECURITY_KEYRING, SecretBox],
})
export class SecretsModule {
  static forRoot(options: SecretsModuleOptions = {}): DynamicModule {
    return {
      module: SecretsModule,
      providers: [{ provide: SECRETS_MODULE_OPTIONS, useValue: options }],
    };
  }

  static forKeyring(keyring: Keyring): DynamicModule {
    return SecretsModule.forRoot({ keyring });
  }
}
