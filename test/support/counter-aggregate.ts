import { AggregateDefinition, AggregateType } from '@ssync/messaging';

/** A toy aggregate for the messaging suites: every `Add` is one `Added` event, the state counts them. */
export type CounterState = { count: number };
export type AddCommand = { type: 'Add'; commandId: string; actor: string; issuedAt: string; note?: string };
export type AddedEvent = { type: 'Added'; data: { note?: string } };

export const counter = {
  initialState: (): CounterState => ({ count: 0 }),
  evolve: (s: CounterState): CounterState => ({ count: s.count + 1 }),
};

export function counterDefinition(
  aggregateType: AggregateType,
): AggregateDefinition<AddCommand, AddedEvent, CounterState> {
  return {
    aggregateType,
    ...counter,
    decide: (c) => [{ type: 'Added', data: c.note === undefined ? {} : { note: c.note } }],
    toFailure: () => null,
  };
}
