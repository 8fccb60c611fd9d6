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
