/** Aggregate types with their own command and event topics. */
export type AggregateType = 'profile' | 'organization' | 'mailbox' | 'activity' | 'job' | 'alert';

/** The event envelope (docs/ARCHITECTURE.md). `sequence` is per aggregate, gap-free, starting at 1. */
export interface EventEnvelope<E extends { type: string; data: unknown } = { type: string; data: unknown }> {
  eventId: string;
  type: E['type'];
  schemaVersion: number;
  aggregateType: AggregateType;
  aggregateId: string;
  sequence: number;
  occurredAt: string;
  orgId: string;
  actor: string;
  correlationId: string;
  causationId: string;
  payload: E['data'];
}

/** A command on its way to the owner of its aggregate's partition. */
export interface CommandEnvelope<C = unknown> {
  commandId: string;
  type: string;
  aggregateType: AggregateType;
  aggregateId: string;
  orgId: string;
  actor: string;
  issuedAt: string;
  correlationId: string;
  /** The instance whose caller awaits the result. */
  replyTo: string;
  /** Optimistic concurrency: refuse unless the aggregate is at this version (HTTP If-Match). */
  expectedVersion?: number;
  command: C;
}

export interface CommandFailure {
  kind: 'validation' | 'not-found' | 'conflict' | 'gone' | 'malformed';
  message: string;
  violations: { field: string; rule: string; message: string }[];
}

/** What the partition owner answers, in the same transaction as the events. */
export interface CommandResult<S = unknown> {
  commandId: string;
  correlationId: string;
  replyTo: string;
  aggregateType: AggregateType;
  aggregateId: string;
  accepted: boolean;
  /** True when the command id had been handled before: nothing new happened. */
  duplicate: boolean;
  version: number;
  state: S | null;
  /**
   * What the command did. An operational event (docs/adr/0010) is listed with `operational: true`, the version it
   * left unchanged as `sequence` and no event id: it moved only the operational state.
   */
  events: { type: string; sequence: number; eventId: string; operational?: true }[];
  error: CommandFailure | null;
}

export const CURRENT_SCHEMA_VERSION = 1;

type Upcaster = (envelope: EventEnvelope) => EventEnvelope;
const upcasters = new Map<string, Map<number, Upcaster>>();

/**
 * Old event shapes are upcast when read, never rewritten: register `from` → `from + 1` for an event type and
 * every reader sees the current shape.
 */
export function registerUpcaster(type: string, fromVersion: number, upcast: Upcaster): void {
  const byVersion = upcasters.get(type) ?? new Map<number, Upcaster>();
  byVersion.set(fromVersion, upcast);
  upcasters.set(type, byVersion);
}

export function upcast(envelope: EventEnvelope): EventEnvelope {
  let current = envelope;
  for (;;) {
    const step = upcasters.get(current.type)?.get(current.schemaVersion ?? 1);
    if (!step) return current;
    current = step(current);
  }
}

export function decodeEvent(value: Buffer | null): EventEnvelope | null {
  if (value === null) return null;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as EventEnvelope;
    if (
      typeof parsed.aggregateId !== 'string' ||
      typeof parsed.sequence !== 'number' ||
      typeof parsed.type !== 'string'
    )
      return null;
    return upcast(parsed);
  } catch {
    return null;
  }
}
