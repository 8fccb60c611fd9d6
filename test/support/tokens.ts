import { PrivilegeClaim, TokenService } from '@ssync/security';

/**
 * The Authorization header for a ten-minute token that `tokens` signs for `userId` (named after the user unless
 * `name` says otherwise). Pass the stack's own service (`stack.app.get(TokenService)`) or one with the same secret.
 */
export function bearerToken(
  tokens: TokenService,
  userId: string,
  privileges: readonly PrivilegeClaim[],
  name = userId,
): string {
  return `Bearer ${tokens.issueToken({ userId, name, privileges, ttlSeconds: 600 })}`;
}
