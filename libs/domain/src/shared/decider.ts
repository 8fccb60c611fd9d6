/**
 * Aggregates are deciders (docs/CONVENTIONS.md): pure `decide(command, state) → events` and
 * `evolve(state, event) → state`. No I/O, no clock, no random ids: time and ids arrive with the command.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** Facts every command carries in. The runtime fills them; deciders only read them. */
export interface CommandMeta {
  /** Unique per command; a command seen twice (same id) has no second effect. */
  commandId: string;
  /** The acting user's id (A-2: every event records it). */
  actor: string;
  /** ISO 8601 instant at which the command was issued; the decider's only clock. */
  issuedAt: string;
}

/** A rule a piece of input breaks: the field (JSON path in the request) and the rule's name. */
export interface Violation {
  field: string;
  rule: string;
  message: string;
}

export type DomainErrorKind = 'validation' | 'not-found' | 'conflict' | 'gone';

/** Refusal of a command. It carries no events: a refused command changes nothing. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly violations: readonly Violation[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static validation(violations: readonly Violation[]): DomainError {
    const text = violations.map((v) => `${v.field}: ${v.message}`).join('; ');
    return new DomainError('validation', text, violations);
  }
}

/** Throws a validation DomainError when any violation was collected. */
export function assertValid(violations: readonly Violation[]): void {
  if (violations.length > 0) throw DomainError.validation(violations);
}

/** Exhaustiveness helper for `switch` over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

/** An encrypted secret (libs/security seals it). The domain never sees a password in clear. */
export type SealedSecret = string & { readonly __sealed: unique symbol };

/** Sealed secrets have the form `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>`; the domain only checks the shape. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  return (
    typeof value === 'string' &&
    /^enc:v1:[A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/.test(value)
  );
}

/** The id of the key that sealed a value (its third field): what a reseal compares with the active key id. */
export function sealedKeyId(sealed: SealedSecret): string {
  return sealed.split(':')[2] ?? '';
}

/** A sealed value re-encrypted under another key: `from` is the value it replaces, so a newer one is never overwritten. */
export interface Reseal {
  from: SealedSecret;
  to: SealedSecret;
}

/**
 * Rules every reseal command shares: the key id is a key id, and the new value is sealed with it (a reseal under any
 * other key would not retire the old one).
 */
export function resealViolations(field: string, keyId: unknown, reseal: Reseal | undefined): Violation[] {
  if (typeof keyId !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(keyId))
    return [{ field: 'keyId', rule: 'keyId', message: 'must be a key id' }];
  if (reseal === undefined) return [];
  if (
    typeof reseal !== 'object' ||
    reseal === null ||
    !isSealedSecret(reseal.from) ||
    !isSealedSecret(reseal.to)
  )
    return [{ field, rule: 'sealed', message: 'must be { from, to }, both sealed' }];
  if (sealedKeyId(reseal.to) !== keyId)
    return [{ field: `${field}.to`, rule: 'sealedWithKey', message: `must be sealed with key '${keyId}'` }];
  return [];
}

/** A reseal applies only to the value it was made from, and only when that value is under another key. */
export function resealApplies(current: SealedSecret | null, reseal: Reseal, keyId: string): boolean {
  return current !== null && current === reseal.from && sealedKeyId(current) !== keyId;
}
