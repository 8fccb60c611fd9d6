import { Consumer } from 'kafkajs';
import { consumerLag } from '@ssync/common';
import { trackConsumerLag } from './consumer-metrics';

describe('trackConsumerLag (issue #12)', () => {
  it('reports each partition’s lag per batch and drops the partitions the group moved away', async () => {
    const handlers = new Map<string, (e: { payload: unknown }) => void>();
    const consumer = {
      events: { GROUP_JOIN: 'join', END_BATCH_PROCESS: 'batch' },
      on: (event: string, handler: (e: { payload: unknown }) => void) => handlers.set(event, handler),
    } as unknown as Consumer;
    trackConsumerLag(consumer, 'g-lag');
    const batch = (partition: number, offsetLag: string) =>
      handlers.get('batch')!({ payload: { topic: 't', partition, offsetLag } });
    const series = async () =>
      (await consumerLag.get()).values
        .filter((v) => v.labels.group === 'g-lag')
        .map((v) => [v.labels.partition, v.value]);
    handlers.get('join')!({ payload: { memberAssignment: { t: [0, 1] } } });
    batch(0, '5');
    batch(1, '7');
    expect(await series()).toEqual([
      ['0', 5],
      ['1', 7],
    ]);
    handlers.get('join')!({ payload: { memberAssignment: { t: [1] } } });
    expect(await series()).toEqual([['1', 7]]);
  });
});
