import { Consumer } from 'kafkajs';
import { consumerLag } from '@ssync/common';

/** Keeps `ssync_consumer_lag` for a long-lived consumer: its lag per partition as of each batch it finished. */
export function trackConsumerLag(consumer: Consumer, groupId: string): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    consumerLag.set(
      { group: groupId, topic: payload.topic, partition: String(payload.partition) },
      Number(payload.offsetLag),
    );
  });
}
