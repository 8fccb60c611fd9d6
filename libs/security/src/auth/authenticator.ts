import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AuthConfig } from './auth-config';
import { OidcVerifier } from './oidc-verifier';
import { Principal } from './privileges';
import { AUTH_CONFIG, TokenService } from './token.service';

/**
 * Who holds a bearer token. A token whose (unverified) `iss` is the OpenID Connect provider's goes to the provider's
 * verifier, which takes only RS256/ES256 under its keys; every other token — the CLI's HS256 tokens, SSYNC_DEV_TOKEN
 * — goes to `TokenService`, which takes only HS256 from issuer `ssync`. So no token can pick the check it passes.
 */
@Injectable()
export class Authenticator {
  private readonly oidc: OidcVerifier | undefined;

  constructor(
    private readonly tokens: TokenService,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.oidc = config.oidc !== undefined ? new OidcVerifier(config.oidc, config.now) : undefined;
  }

  /** Throws `AuthenticationError` (401), or `SigningKeysUnavailableError` (503) when the provider cannot be reached. */
  async authenticate(token: string): Promise<Principal> {
    if (this.oidc !== undefined && unverifiedIssuer(token) === this.oidc.issuer)
      return this.oidc.verify(token);
    return this.tokens.verify(token);
  }
}

function unverifiedIssuer(token: string): unknown {
  const payload = jwt.decode(token, { json: true });
  return payload?.iss;
}
