/** Whose credential a sealed value is: a server profile's or a mailbox's. */
export type SealedCredentialKind = 'profile' | 'mailbox';
/** A profile seals `password` and `outgoingPassword`; a mailbox seals only `password`. */
export type SealedCredentialField = 'password' | 'outgoingPassword';

/**
 * The additional authenticated data a credential is sealed and opened with, `<kind>:<id>:<field>`. The API seals
 * and the sync worker and the reseal command open with it, so a value copied onto another record or field fails
 * authentication. Sealed data is stored under these exact bytes: changing the format makes it unreadable.
 */
export function credentialSealContext(
  kind: SealedCredentialKind,
  id: string,
  field: SealedCredentialField,
): string {
  return `${kind}:${id}:${field}`;
}
