import { CustomDecorator, ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Principal, Privilege } from './privileges';

export const IS_PUBLIC_KEY = 'ssync:auth:public';
export const REQUIRED_PRIVILEGES_KEY = 'ssync:auth:privileges';
/** The request property the guard sets. */
export const PRINCIPAL_REQUEST_KEY = 'principal';

/** Skips authentication (health, OpenAPI). On a class or a handler. */
export const Public = (): CustomDecorator<string> => SetMetadata(IS_PUBLIC_KEY, true);

/** Every listed privilege is needed (SystemAdmin holds all). On a class and a handler, both lists apply. */
export const RequirePrivileges = (...privileges: Privilege[]): CustomDecorator<string> =>
  SetMetadata(REQUIRED_PRIVILEGES_KEY, privileges);

export interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  [PRINCIPAL_REQUEST_KEY]?: Principal;
}

/** The authenticated principal (undefined only on @Public routes). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined =>
    ctx.switchToHttp().getRequest<RequestWithPrincipal>()[PRINCIPAL_REQUEST_KEY],
);
