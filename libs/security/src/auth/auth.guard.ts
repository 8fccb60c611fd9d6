import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Provider,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { Authenticator } from './authenticator';
import {
  IS_PUBLIC_KEY,
  PRINCIPAL_REQUEST_KEY,
  REQUIRED_PRIVILEGES_KEY,
  RequestWithPrincipal,
} from './decorators';
import { SigningKeysUnavailableError } from './jwks';
import { Principal, Privilege, missingPrivileges } from './privileges';
import { AuthenticationError } from './token.service';

/** Seconds a client is told to wait when the identity provider's keys cannot be fetched. */
export const SIGNING_KEYS_RETRY_AFTER_SECONDS = 5;

interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Bearer authentication and @RequirePrivileges in one guard. 401 (`WWW-Authenticate: Bearer`) when the token is
 * missing, invalid or expired; 403 naming the missing privileges; 503 (`Retry-After`) when the identity provider's
 * keys cannot be fetched — the token may be fine, so the client must not be told to sign in again. Only HTTP is
 * guarded: Kafka consumers are not Nest handlers here, and there are no other transports.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithPrincipal>();
    const principal = await this.authenticate(request, http.getResponse<HeaderSink>());
    request[PRINCIPAL_REQUEST_KEY] = principal;

    // Class-level requirements first, so messages read from the general to the specific.
    const required = this.reflector.getAllAndMerge<Privilege[]>(REQUIRED_PRIVILEGES_KEY, [
      context.getClass(),
      context.getHandler(),
    ]);
    const missing = missingPrivileges(principal, required);
    if (missing.length > 0) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `missing privilege${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        missingPrivileges: missing,
      });
    }
    return true;
  }

  private async authenticate(request: RequestWithPrincipal, response: HeaderSink): Promise<Principal> {
    try {
      return await this.authenticator.authenticate(bearerToken(request));
    } catch (err) {
      if (err instanceof SigningKeysUnavailableError) {
        response.setHeader('Retry-After', String(SIGNING_KEYS_RETRY_AFTER_SECONDS));
        throw new ServiceUnavailableException({
          statusCode: 503,
          error: 'Service Unavailable',
          message: err.message,
          retryAfterSeconds: SIGNING_KEYS_RETRY_AFTER_SECONDS,
        });
      }
      if (!(err instanceof AuthenticationError)) throw err;
      response.setHeader(
        'WWW-Authenticate',
        err.code === 'missing-token' ? 'Bearer' : 'Bearer error="invalid_token"',
      );
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: err.message });
    }
  }
}

/** Add to an app module's providers to guard every route (opt out with @Public()). Needs AuthModule imported. */
export function provideGlobalAuthGuard(): Provider {
  return { provide: APP_GUARD, useExisting: AuthGuard };
}

function bearerToken(request: RequestWithPrincipal): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '')
    throw new AuthenticationError('missing-token', 'missing bearer token');
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (match?.[1] === undefined) {
    throw new AuthenticationError('invalid-token', 'Authorization header must be "Bearer <token>"');
  }
  return match[1];
}
