import { AggregateSnapshot } from './aggregate-store';
import { commandDigest, ledgerAdd, ledgerHas, ledgerSize } from './command-ledger';
import type { AggregateDefinition } from './command-processor';
import { decideCommand } from './decide-command';
import { CommandEnvelope } from './envelope';

type S = { created: boolean; cursor: number; touches: number };
type C = { type: 'Create' } | { type: 'Poll' } | { type: 'Touch' };
type E = { type: 'Created' | 'Polled' | 'Touched'; data: { n?: number } };

const definition: AggregateDefinition<C, E, S> = {
  aggregateType: 'mailbox',
  initialState: () => ({ created: false, cursor: 0, touches: 0 }),
  decide: (c, s) => {
    if (c.type === 'Create') return s.created ? [] : [{ type: 'Created', data: {} }];
    if (!s.created) throw new Error('bug: no aggregate');
    return c.type === 'Poll'
      ? [{ type: 'Polled', data: { n: s.cursor + 1 } }]
      : [{ type: 'Touched', data: {} }];
  },
  evolve: (s, e) =>
    e.type === 'Created'
      ? { ...s, created: true }
      : e.type === 'Polled'
        ? { ...s, cursor: e.data.n ?? 0 }
        : { ...s, touches: s.touches + 1 },
  toFailure: () => null,
  operational: {
    slice: (s) => (s.created ? s.cursor : null),
    withSlice: (s, cursor) => ({ ...s, cursor: cursor as number }),
    touchesSlice: (type) => type === 'Polled',
    isOperational: (e) => e.type === 'Polled',
  },
};
const empty = (): AggregateSnapshot<S> => ({ state: definition.initialState(), version: 0, commands: '' });
let n = 0;
const command = (c: C, commandId = `cmd-${++n}`): CommandEnvelope<C> => ({
  commandId,
  type: c.type,
  aggregateType: 'mailbox',
  aggregateId: 'm1',
  orgId: 'org',
  actor: 'test',
  issuedAt: '2026-12-01T00:00:00.000Z',
  correlationId: commandId,
  replyTo: 'me',
  command: c,
});

describe('decideCommand', () => {
  it('writes audited events with a sequence each and remembers the command', () => {
    const d = decideCommand(definition, empty(), command({ type: 'Create' }, 'create-1'), 'org');
    expect(d.events.map((e) => [e.type, e.sequence, e.causationId])).toEqual([['Created', 1, 'create-1']]);
    expect(d.operational).toBeUndefined();
    expect(d.snapshot.version).toBe(1);
    expect(ledgerHas(d.snapshot.commands, 'create-1')).toBe(true);
  });

  it('an operational event writes no audited event, only the slice at the unchanged version', () => {
    const created = decideCommand(definition, empty(), command({ type: 'Create' }), 'org').snapshot;
    const d = decideCommand(definition, created, command({ type: 'Poll' }), 'org');
    expect(d.events).toEqual([]);
    expect(d.operational).toMatchObject({ type: 'OperationalState', sequence: 1, payload: 1 });
    expect(d.result.events).toEqual([{ type: 'Polled', sequence: 1, eventId: '', operational: true }]);
    expect(d.snapshot).toMatchObject({ version: 1, state: { cursor: 1 }, opVersion: 1, sliceVersion: 1 });
    // Not in the ledger: fenced by its domain instead.
    expect(ledgerSize(d.snapshot.commands)).toBe(1);
  });

  it('a command seen before has no second effect, however many came in between (no window)', () => {
    let snapshot = decideCommand(definition, empty(), command({ type: 'Create' }, 'first'), 'org').snapshot;
    for (let i = 0; i < 1000; i += 1)
      snapshot = decideCommand(definition, snapshot, command({ type: 'Touch' }), 'org').snapshot;
    const again = decideCommand(definition, snapshot, command({ type: 'Touch' }, 'first'), 'org');
    expect(again.result).toMatchObject({ accepted: true, duplicate: true, version: 1001 });
    expect(again.events).toEqual([]);
    expect(ledgerSize(snapshot.commands)).toBe(1001);
  });

  it('refuses a stale expectedVersion and reports a decider bug as malformed, changing nothing', () => {
    const stale = decideCommand(
      definition,
      empty(),
      { ...command({ type: 'Create' }), expectedVersion: 3 },
      'org',
    );
    expect(stale.result.error?.kind).toBe('conflict');
    const bugs: unknown[] = [];
    const bug = decideCommand(definition, empty(), command({ type: 'Touch' }), 'org', (e) => bugs.push(e));
    expect(bug.result.error?.kind).toBe('malformed');
    expect(bug.snapshot).toEqual(empty());
    expect(bugs).toHaveLength(1);
  });
});

describe('command ledger', () => {
  it('finds only whole digests', () => {
    let ledger = '';
    for (let i = 0; i < 500; i += 1) ledger = ledgerAdd(ledger, `id-${i}`);
    expect(ledgerSize(ledger)).toBe(500);
    expect(ledgerAdd(ledger, 'id-7')).toBe(ledger);
    expect([...Array(500).keys()].every((i) => ledgerHas(ledger, `id-${i}`))).toBe(true);
    expect(ledgerHas(ledger, 'id-500')).toBe(false);
    // A digest that straddles two others is not a hit.
    expect(ledgerHas(`${'x'.repeat(8)}${commandDigest('id-0')}${'y'.repeat(8)}`, 'id-0')).toBe(false);
  });
});
