import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { AuthConfig, LoadAuthConfigOptions, loadAuthConfig } from './auth-config';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { AUTH_CONFIG, TokenService } from './token.service';

export const AUTH_MODULE_OPTIONS = 'AUTH_MODULE_OPTIONS';

export interface AuthModuleOptions extends LoadAuthConfigOptions {
  /** Use this config as is (tests). */
  config?: AuthConfig;
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Global: provides `AUTH_CONFIG` (validated at boot), `TokenService`, `Authenticator` and `AuthGuard`. The guard is not registered
 * globally here; the app decides, with `providers: [provideGlobalAuthGuard()]` or `@UseGuards(AuthGuard)`.
 */
@Global()
@Module({
  providers: [
    {
      provide: AUTH_CONFIG,
      inject: [{ token: AUTH_MODULE_OPTIONS, optional: true }],
      useFactory: (options: AuthModuleOptions | undefined): AuthConfig | Promise<AuthConfig> =>
        options?.config ??
        loadAuthConfig(options?.env ?? process.env, {
          ...options,
          logger: options?.logger ?? new Logger('AuthModule'),
        }),
    },
    TokenService,
    Authenticator,
    AuthGuard,
  ],
  exports: [AUTH_CONFIG, TokenService, Authenticator, AuthGuard],
})
export class AuthModule {
  static forRoot(options: AuthModuleOptions = {}): DynamicModule {
    return { module: AuthModule, providers: [{ provide: AUTH_MODULE_OPTIONS, useValue: options }] };
  }
}
