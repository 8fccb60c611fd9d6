/**
 * Given/when/then specifications for deciders (docs/CONVENTIONS.md), after emmett's `DeciderSpecification`:
 *
 *   const spec = DeciderSpecification.for(profileDecider);
 *   spec.given([created]).when(update).then([updated]);
 *   spec.given([]).when(badCreate).thenThrows('validation', ['name']);
 *
 * Test-only: it uses jest's global `expect`, so it is not re-exported from the package index (import it from
 * `@ssync/domain/shared/decider-spec`).
 */
import { Decider, DomainError, DomainErrorKind, Violation } from './decider';

/** A violation a test expects: a field name, or a field with its rule. */
export type ExpectedViolation = string | { field: string; rule?: string };

export interface WhenSpec<Event, State> {
  /** The command is accepted and yields exactly these events, in this order. Returns the state after them. */
  then(expected: readonly Event[]): State;
  /** The command is accepted and changes nothing (idempotent repeat, no-op). */
  thenNothingHappened(): State;
  /** The command is accepted; the events are checked by `assert`. Returns the state after them. */
  thenEvents(assert: (events: Event[], state: State) => void): State;
  /**
   * The command is refused with a DomainError of `kind`. With an array, the violations must be exactly those
   * (each expected matches one violation and each violation matches one expected); with a predicate, it must hold.
   */
  thenThrows(
    kind: DomainErrorKind,
    fieldsOrPredicate?: readonly ExpectedViolation[] | ((error: DomainError) => boolean),
  ): DomainError;
}

export interface GivenSpec<Command, Event, State> {
  when(command: Command): WhenSpec<Event, State>;
}

export interface DeciderSpec<Command, Event, State> {
  given(events: readonly Event[]): GivenSpec<Command, Event, State>;
}

function matches(expected: ExpectedViolation, actual: Violation): boolean {
  if (typeof expected === 'string') return actual.field === expected;
  return actual.field === expected.field && (expected.rule === undefined || actual.rule === expected.rule);
}

function describeViolations(violations: readonly Violation[]): string {
  return JSON.stringify(violations.map((v) => ({ field: v.field, rule: v.rule })));
}

export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>): DeciderSpec<Command, Event, State> {
    return {
      given(givenEvents) {
        const fold = (events: readonly Event[], from: State): State =>
          events.reduce((state, event) => decider.evolve(state, event), from);
        return {
          when(command) {
            const before = (): State => fold(givenEvents, decider.initialState());
            const run = (): { events: Event[]; state: State } => {
              const state = before();
              const events = decider.decide(command, state);
              return { events, state: fold(events, state) };
            };
            return {
              then(expected) {
                const { events, state } = run();
                expect(events).toEqual(expected);
                return state;
              },
              thenNothingHappened() {
                const { events, state } = run();
                expect(events).toEqual([]);
                return state;
              },
              thenEvents(assert) {
                const { events, state } = run();
                assert(events, state);
                return state;
              },
              thenThrows(kind, fieldsOrPredicate) {
                const state = before();
                let caught: unknown;
                try {
                  const events = decider.decide(command, state);
                  throw new Error(
                    `expected a ${kind} DomainError, but the command was accepted: ${JSON.stringify(events)}`,
                  );
                } catch (error: unknown) {
                  caught = error;
                }
                if (!(caught instanceof DomainError)) throw caught;
                expect(caught.kind).toBe(kind);
                if (typeof fieldsOrPredicate === 'function') {
                  if (!fieldsOrPredicate(caught))
                    throw new Error(`the DomainError did not satisfy the predicate: ${caught.message}`);
                } else if (fieldsOrPredicate !== undefined) {
                  const actual = caught.violations;
                  const missing = fieldsOrPredicate.filter((e) => !actual.some((a) => matches(e, a)));
                  const extra = actual.filter((a) => !fieldsOrPredicate.some((e) => matches(e, a)));
                  if (missing.length > 0 || extra.length > 0) {
                    throw new Error(
                      `violations differ. expected ${JSON.stringify(fieldsOrPredicate)}, got ${describeViolations(actual)}`,
                    );
                  }
                }
                return caught;
              },
            };
          },
        };
      },
    };
  },
};
