import { AssignerProtocol, Cluster, PartitionMetadata, Partitioners } from 'kafkajs';
import { REPLY_PARTITION_ASSIGNER, replyPartition, replyPartitionAssigner } from './reply-partition';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));

describe('a gateway reads only the results partition its results land in (issue #12)', () => {
  it('is the partition a result keyed by the instance id goes to', () => {
    const producerSide = Partitioners.DefaultPartitioner();
    const ids = Array.from({ length: 50 }, (_, i) => `sync-worker-host-${i}`);
    for (const id of ids)
      expect(replyPartition('t', metadata(12), id)).toBe(
        producerSide({ topic: 't', partitionMetadata: metadata(12), message: { key: id, value: '{}' } }),
      );
    // Instances spread over the partitions, not all on one.
    expect(new Set(ids.map((id) => replyPartition('t', metadata(12), id))).size).toBeGreaterThan(6);
  });

  it('assigns every member of the instance group that one partition of each topic', async () => {
    const cluster = { findTopicPartitionMetadata: () => metadata(12) } as unknown as Cluster;
    const assigner = replyPartitionAssigner('api-1')({ cluster, groupId: 'g', logger: undefined as never });
    expect(assigner.name).toBe(REPLY_PARTITION_ASSIGNER);
    const assigned = await assigner.assign({
      members: [
        { memberId: 'a', memberMetadata: Buffer.alloc(0) },
        { memberId: 'b', memberMetadata: Buffer.alloc(0) },
      ],
      topics: ['ssync.command-results'],
    });
    const expected = replyPartition('ssync.command-results', metadata(12), 'api-1');
    expect(assigned.map((a) => a.memberId)).toEqual(['a', 'b']);
    for (const a of assigned)
      expect(AssignerProtocol.MemberAssignment.decode(a.memberAssignment)?.assignment).toEqual({
        'ssync.command-results': [expected],
      });
    const protocol = assigner.protocol({ topics: ['ssync.command-results'] });
    expect(AssignerProtocol.MemberMetadata.decode(protocol.metadata)?.topics).toEqual([
      'ssync.command-results',
    ]);
  });
});
