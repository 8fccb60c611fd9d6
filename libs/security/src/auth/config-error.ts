/** A bad or missing auth setting; thrown at boot, with a message that names the variable. */
export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}
