import { EventEnvelope, decodeEvent, registerUpcaster } from './envelope';

describe('event envelopes', () => {
  const v1 = {
    eventId: 'e',
    type: 'SpecRenamed',
    schemaVersion: 1,
    aggregateType: 'profile',
    aggregateId: 'a',
    sequence: 1,
    occurredAt: 't',
    orgId: 'o',
    actor: 'x',
    correlationId: 'c',
    causationId: 'c',
    payload: { oldName: 'n' },
  };

  it('upcasts an old shape when read, step by step, leaving the stored bytes alone', () => {
    registerUpcaster('SpecRenamed', 1, (e) => ({
      ...e,
      schemaVersion: 2,
      payload: { name: (e.payload as { oldName: string }).oldName },
    }));
    registerUpcaster('SpecRenamed', 2, (e) => ({
      ...e,
      schemaVersion: 3,
      payload: { ...(e.payload as object), source: 'upcast' },
    }));
    const bytes = Buffer.from(JSON.stringify(v1));
    const read = decodeEvent(bytes) as EventEnvelope;
    expect(read).toMatchObject({ schemaVersion: 3, payload: { name: 'n', source: 'upcast' } });
    expect(JSON.parse(bytes.toString()).payload).toEqual({ oldName: 'n' });
  });

  it('gives null for a record that is not an event envelope', () => {
    expect(decodeEvent(Buffer.from('not json'))).toBeNull();
    expect(decodeEvent(Buffer.from('{"type":"X"}'))).toBeNull();
    expect(decodeEvent(null)).toBeNull();
  });
});
