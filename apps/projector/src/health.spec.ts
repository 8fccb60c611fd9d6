import { EventConsumerHealth } from '@ssync/messaging';
import { projectorReadiness } from './health';

const consumer = (over: Partial<EventConsumerHealth> = {}): EventConsumerHealth => ({
  joined: true,
  caughtUpToStart: true,
  startLag: 0,
  deadLetters: { topic: 'p.dead-letter', count: 0, recent: [] },
  ...over,
});

describe('projector readiness', () => {
  it('is ready once its consumer has joined and projected the log as it was at start', () => {
    expect(projectorReadiness(consumer(), 1, true)).toMatchObject({ ready: true, reasons: [] });
  });

  it('says how far behind it still is', () => {
    expect(projectorReadiness(consumer({ caughtUpToStart: false, startLag: 900 }), 1, true)).toMatchObject({
      ready: false,
      reasons: ['events: 900 record(s) behind the log as it was at start'],
    });
  });

  it('is not ready before it has joined, or while it switches read-model versions, or without MongoDB', () => {
    expect(projectorReadiness(consumer({ joined: false, caughtUpToStart: false }), 1, true).reasons).toEqual([
      'consumerJoined: not ready',
    ]);
    expect(projectorReadiness(null, 2, true).ready).toBe(false);
    expect(projectorReadiness(consumer(), 1, false).reasons).toEqual(['mongodb: not ready']);
  });

  it('reports dead letters without failing: they are set aside where an operator finds them', () => {
    const letter = { topic: 'p.profile.events', partition: 0, offset: '7', reason: 'not JSON', at: 'now' };
    const r = projectorReadiness(
      consumer({ deadLetters: { topic: 'p.dead-letter', count: 1, recent: [letter] } }),
      1,
      true,
    );
    expect(r.ready).toBe(true);
    expect(r.details).toMatchObject({ deadLetters: { count: 1, recent: [letter] } });
  });
});
