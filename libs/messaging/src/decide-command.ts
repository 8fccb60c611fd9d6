import { randomUUID } from 'node:crypto';
import { AggregateSnapshot, OPERATIONAL_RECORD_TYPE } from './aggregate-store';
import { ledgerAdd, ledgerHas } from './command-ledger';
import type { AggregateDefinition } from './command-processor';
import {
  CommandEnvelope,
  CommandFailure,
  CommandResult,
  CURRENT_SCHEMA_VERSION,
  EventEnvelope,
} from './envelope';

/** What one command did: the audited events to write, the operational record (if any), the caller's result. */
export interface CommandDecision<S> {
  events: EventEnvelope[];
  operational?: EventEnvelope;
  result: CommandResult<S>;
  /** The aggregate after the command (unchanged when it was refused or a duplicate). */
  snapshot: AggregateSnapshot<S>;
}

function envelopeOf<C>(
  aggregateType: EventEnvelope['aggregateType'],
  command: CommandEnvelope<C>,
  orgId: string,
  sequence: number,
  event: { type: string; data: unknown },
): EventEnvelope {
  return {
    eventId: randomUUID(),
    type: event.type,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    aggregateType,
    aggregateId: command.aggregateId,
    sequence,
    occurredAt: command.issuedAt,
    orgId: command.orgId ?? orgId,
    actor: command.actor,
    correlationId: command.correlationId,
    causationId: command.commandId,
    payload: event.data,
  };
}

/**
 * The partition owner's decision on one command, without I/O: a command already in the aggregate's ledger is a
 * duplicate; `expectedVersion` must match; the decider's events are split into audited ones (a sequence each) and
 * operational ones (docs/adr/0010: they move the state, and the slice they changed becomes one operational record
 * at the audited version). The command processor writes what this returns in one transaction; `bench:history`
 * makes its history with it.
 */
export function decideCommand<C, E extends { type: string; data: unknown }, S>(
  definition: AggregateDefinition<C, E, S>,
  snapshot: AggregateSnapshot<S>,
  command: CommandEnvelope<C>,
  orgId: string,
  onBug: (error: unknown) => void = () => undefined,
): CommandDecision<S> {
  const base = {
    commandId: command.commandId,
    correlationId: command.correlationId,
    replyTo: command.replyTo,
    aggregateType: definition.aggregateType,
    aggregateId: command.aggregateId,
  };
  const shown = (s: S): S => (definition.resultState ? (definition.resultState(s) as S) : s);
  const unchanged = (accepted: boolean, duplicate: boolean, error: CommandFailure | null) => ({
    events: [],
    snapshot,
    result: {
      ...base,
      accepted,
      duplicate,
      version: snapshot.version,
      state: shown(snapshot.state),
      events: [],
      error,
    },
  });
  if (ledgerHas(snapshot.commands, command.commandId)) return unchanged(true, true, null);
  if (command.expectedVersion !== undefined && command.expectedVersion !== snapshot.version)
    return unchanged(false, false, {
      kind: 'conflict',
      message: `version is ${snapshot.version}, not ${command.expectedVersion}`,
      violations: [],
    });
  let decided: E[];
  try {
    decided = definition.decide(command.command, snapshot.state);
  } catch (error) {
    const failure = definition.toFailure(error);
    if (!failure) {
      onBug(error);
      return unchanged(false, false, {
        kind: 'malformed',
        message: 'the command could not be decided',
        violations: [],
      });
    }
    return unchanged(false, false, failure);
  }
  const op = definition.operational;
  let state = snapshot.state;
  let version = snapshot.version;
  let sliceTouched = false;
  const events: EventEnvelope[] = [];
  const quiet: { type: string; sequence: number; eventId: string; operational: true }[] = [];
  for (const event of decided) {
    if (op?.touchesSlice(event.type)) sliceTouched = true;
    const operational = op?.isOperational(event, state) ?? false;
    state = definition.evolve(state, event);
    if (operational) {
      quiet.push({ type: event.type, sequence: version, eventId: '', operational: true });
      continue;
    }
    version += 1;
    events.push(envelopeOf(definition.aggregateType, command, orgId, version, event));
  }
  const slice = sliceTouched && op ? op.slice(state) : null;
  const operational =
    slice === null
      ? undefined
      : envelopeOf(definition.aggregateType, command, orgId, version, {
          type: OPERATIONAL_RECORD_TYPE,
          data: slice,
        });
  return {
    events,
    ...(operational ? { operational } : {}),
    snapshot: {
      state,
      version,
      // Only commands with audited effects are remembered: an operational command is fenced by its own domain
      // (a poll claim or outcome names the poll it belongs to), so a redelivered one decides nothing.
      commands: events.length > 0 ? ledgerAdd(snapshot.commands, command.commandId) : snapshot.commands,
      opVersion: operational ? version : (snapshot.opVersion ?? -1),
      sliceVersion: operational ? version : (snapshot.sliceVersion ?? 0),
    },
    result: {
      ...base,
      accepted: true,
      duplicate: false,
      version,
      state: shown(state),
      events: [...events.map((e) => ({ type: e.type, sequence: e.sequence, eventId: e.eventId })), ...quiet],
      error: null,
    },
  };
}
