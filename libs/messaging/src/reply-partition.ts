import { AssignerProtocol, PartitionAssigner, PartitionMetadata, Partitioners } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The results-topic partition a caller's results land in: command writers key each result by its `replyTo` (the
 * caller's instance id) and let kafkajs' default partitioner (murmur2, as Java's) place it.
 */
export function replyPartition(
  topic: string,
  partitionMetadata: PartitionMetadata[],
  instanceId: string,
): number {
  return partitioner({ topic, partitionMetadata, message: { key: instanceId, value: null } });
}

export const REPLY_PARTITION_ASSIGNER = 'SsyncReplyPartition';

/**
 * Assigns a gateway's results group (one group per instance) only the partition its results land in. Reading the
 * whole topic, every result ended the fetch of every gateway (the API's and each worker's; issue #12). A group
 * re-joins when the topic gains partitions (kafkajs checks its assignment against the metadata), and the
 * partition is computed again then.
 */
export function replyPartitionAssigner(instanceId: string): PartitionAssigner {
  return ({ cluster }) => ({
    name: REPLY_PARTITION_ASSIGNER,
    version: 0,
    assign({ members, topics }) {
      const assignment: Record<string, number[]> = {};
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic);
        if (partitions.length > 0) assignment[topic] = [replyPartition(topic, partitions, instanceId)];
      }
      // Two processes sharing an instance id both read it: each keeps the results it waits for.
      return Promise.resolve(
        members.map(({ memberId }) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment,
            userData: Buffer.alloc(0),
          }),
        })),
      );
    },
    protocol({ topics }) {
      return {
        name: REPLY_PARTITION_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}
