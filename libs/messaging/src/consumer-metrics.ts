import { Consumer } from 'kafkajs';
import { consumerLag } from '@ssync/common';

/**
 * Keeps `ssync_consumer_lag` for a long-lived consumer: its lag per partition as of each batch it finished. A
 * partition the group moved elsewhere drops out at the next assignment, so a moved partition shows no stale lag.
 */
export function trackConsumerLag(consumer: Consumer, groupId: string): void {
  const reported = new Set<string>(); // `${topic}\n${partition}`
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => `${topic}\n${p}`),
      ),
    );
    for (const key of reported) {
      if (assigned.has(key)) continue;
      const [topic, partition] = key.split('\n') as [string, string];
      consumerLag.remove({ group: groupId, topic, partition });
      reported.delete(key);
    }
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    reported.add(`${payload.topic}\n${payload.partition}`);
    consumerLag.set(
      { group: groupId, topic: payload.topic, partition: String(payload.partition) },
      Number(payload.offsetLag),
    );
  });
}
