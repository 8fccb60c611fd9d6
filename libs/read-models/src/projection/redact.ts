import { isSealedSecret } from '@ssync/domain';

/** Sealed secrets are replaced by a marker naming their key id: read models hold no ciphertext. */
export function redactSecrets(value: unknown): unknown {
  if (isSealedSecret(value)) return { sealed: true, keyId: value.split(':')[2] };
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactSecrets(v);
    return out;
  }
  return value;
}
