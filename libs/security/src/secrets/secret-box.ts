import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SealedSecret, isSealedSecret } from '@ssync/domain';
import { Keyring } from './keyring';

/** Nest injection token for the `Keyring` that `SecretBox` uses. */
export const SECURITY_KEYRING = 'SECURITY_KEYRING';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc:v1:';

export type SecretBoxErrorCode = 'malformed' | 'unknown-key' | 'decrypt-failed';

/** Opening failed. The message never holds the plain text or key material. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SealedParts {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** Splits `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>` (the shape `isSealedSecret` accepts) into its parts. */
export function parseSealedSecret(sealed: string): SealedParts {
  if (!isSealedSecret(sealed))
    throw new SecretBoxError('malformed', 'not a sealed secret (enc:v1:<keyId>:<iv>:<tag>:<ct>)');
  const [keyId = '', iv = '', tag = '', ciphertext = ''] = sealed.slice(PREFIX.length).split(':');
  const parts = {
    keyId,
    iv: Buffer.from(iv, 'base64'),
    tag: Buffer.from(tag, 'base64'),
    ciphertext: Buffer.from(ciphertext, 'base64'),
  };
  if (parts.iv.length !== IV_BYTES)
    throw new SecretBoxError('malformed', `sealed secret iv must be ${IV_BYTES} bytes`);
  if (parts.tag.length !== TAG_BYTES)
    throw new SecretBoxError('malformed', `sealed secret tag must be ${TAG_BYTES} bytes`);
  return parts;
}

/**
 * AES-256-GCM for secrets at rest (ARCHITECTURE invariant 5). `context` is bound as additional authenticated data:
 * seal a mailbox password with e.g. `mailbox:<id>:password` and the value cannot be copied onto another record.
 * An absent context and an empty one are the same.
 */
@Injectable()
export class SecretBox {
  constructor(@Inject(SECURITY_KEYRING) private readonly keyring: Keyring) {}

  get activeKeyId(): string {
    return this.keyring.activeKeyId;
  }

  seal(plain: string, context?: string): SealedSecret {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.key(keyId);
    if (key === undefined)
      throw new SecretBoxError('unknown-key', `active key '${keyId}' is not in the keyring`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const sealed = `${PREFIX}${keyId}:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ciphertext.toString('base64')}`;
    if (!isSealedSecret(sealed)) throw new Error('SecretBox produced a value isSealedSecret rejects'); // cannot happen
    return sealed;
  }

  open(sealed: SealedSecret | string, context?: string): string {
    const { keyId, iv, tag, ciphertext } = parseSealedSecret(sealed);
    const key = this.keyring.key(keyId);
    if (key === undefined) {
      throw new SecretBoxError('unknown-key', `sealed with key '${keyId}', which is not in the keyring`);
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'decrypt-failed',
        `sealed secret (key '${keyId}') failed authentication: tampered, or opened with the wrong context`,
      );
    }
  }

  /** The key id a value was sealed with. */
  keyIdOf(sealed: SealedSecret | string): string {
    return parseSealedSecret(sealed).keyId;
  }

  /** True when the value was sealed with a key other than the active one. */
  needsRotation(sealed: SealedSecret | string): boolean {
    return this.keyIdOf(sealed) !== this.keyring.activeKeyId;
  }

  /** Re-seals with the active key (the same value back if it already is); proves the old one opens first. */
  reseal(sealed: SealedSecret, context?: string): SealedSecret {
    const plain = this.open(sealed, context);
    return this.needsRotation(sealed) ? this.seal(plain, context) : sealed;
  }
}

function aad(context: string | undefined): Buffer {
  return Buffer.from(context ?? '', 'utf8');
}
