import { KafkaCommandGateway, StoreProblem, StoreReadinessSource } from '@ssync/messaging';
import { ActivityOwner } from './activity-owner';
import { WorkerHealth } from './health';
import { MailboxOwner } from './mailbox-owner';

const store = (lag: number, gaps: StoreProblem[] = []): StoreReadinessSource => ({
  caughtUpToStart: () => lag === 0,
  startLag: () => lag,
  problems: () => ({ undecodable: 0, gaps: gaps.length, recent: gaps }),
});

function health(o: { joined?: boolean; mailboxLag?: number; gaps?: StoreProblem[]; mongo?: boolean } = {}) {
  const mailboxes = {
    mailboxes: store(o.mailboxLag ?? 0, o.gaps),
    profiles: store(0),
    organizations: store(0),
    isReady: () => o.joined ?? true,
    assignedPartitions: () => [0, 1],
  } as unknown as MailboxOwner;
  const activities = {
    activities: {
      ...store(0),
      ownedPartitions: () => [2],
      loadingPartitions: () => [],
      settledSize: () => ({ aggregates: 5, bytes: 60 }),
    },
    isReady: () => true,
    assignedPartitions: () => [2],
  } as unknown as ActivityOwner;
  const gateway = { isReady: () => true } as unknown as KafkaCommandGateway;
  return new WorkerHealth(mailboxes, activities, gateway, () =>
    o.mongo === false ? Promise.reject(new Error('down')) : Promise.resolve({ ok: 1 }),
  );
}

describe('sync worker readiness', () => {
  it('is ready with its processors joined, its stores caught up to start, no gap and MongoDB answering', async () => {
    expect(await health().readiness()).toMatchObject({
      ready: true,
      details: {
        mailboxPartitions: [0, 1],
        activityPartitions: [2],
        settledActivities: { partitions: [2], loading: [], aggregates: 5, bytes: 60 },
        problems: { gaps: 0 },
      },
    });
  });

  it('is not ready while a store reads the log it had at start: it would decide and poll on part of it', async () => {
    expect((await health({ mailboxLag: 4000 }).readiness()).reasons).toEqual([
      'mailboxes: 4000 record(s) behind the log as it was at start',
    ]);
  });

  it('is not ready with a sequence gap, and shows where', async () => {
    const gap: StoreProblem = {
      kind: 'gap',
      topic: 'p.mailbox.events',
      partition: 1,
      offset: '9',
      aggregateId: 'm1',
      detail: 'sequence gap on m1: have 1, got 3',
    };
    const r = await health({ gaps: [gap] }).readiness();
    expect(r.ready).toBe(false);
    expect(r.details).toMatchObject({ problems: { gaps: 1, recent: [{ store: 'mailboxes', ...gap }] } });
  });

  it('is not ready before joining or without MongoDB', async () => {
    expect((await health({ joined: false }).readiness()).reasons).toEqual([
      'mailboxCommandProcessor: not ready',
    ]);
    expect((await health({ mongo: false }).readiness()).reasons).toEqual(['mongodb: not ready']);
  });
});
