/** An offset to commit: the next one to read of a partition, as kafkajs' `commitOffsets` takes it. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Offsets handled but not committed yet, committed together at most every `intervalMs` (issue #12). Each commit
 * is a request and an append to `__consumer_offsets`; one per handled chunk of every partition was most of the
 * broker's OffsetCommit requests. Only for idempotent handlers: a restart or a rebalance redelivers what was
 * handled since the last commit.
 */
export class OffsetCommits {
  private readonly pending = new Map<string, { topic: string; partition: number; next: bigint }>();
  private lastAt: number;

  constructor(
    /** 0 commits at every chunk, as before. */
    private readonly intervalMs: number,
    now: number,
  ) {
    this.lastAt = now;
  }

  /** `next` is the offset after the last one handled; an older one never moves a partition back. */
  add(topic: string, partition: number, next: bigint): void {
    const key = `${topic}:${partition}`;
    const held = this.pending.get(key);
    if (!held || next > held.next) this.pending.set(key, { topic, partition, next });
  }

  /** Forgets the partitions this member no longer reads (`topic:partition` keys): their new owner commits them. */
  retain(assigned: ReadonlySet<string>): void {
    for (const key of this.pending.keys()) if (!assigned.has(key)) this.pending.delete(key);
  }

  /** The offsets to commit now, and forgets them: all of them when `intervalMs` has passed (or `force`), else none. */
  take(now: number, force = false): PartitionOffset[] {
    if (this.pending.size === 0 || (!force && now - this.lastAt < this.intervalMs)) return [];
    this.lastAt = now;
    const due = [...this.pending.values()].map(({ topic, partition, next }) => ({
      topic,
      partition,
      offset: next.toString(),
    }));
    this.pending.clear();
    return due;
  }

  /** Puts back offsets whose commit failed, unless newer ones came meanwhile. */
  restore(offsets: PartitionOffset[]): void {
    for (const o of offsets) this.add(o.topic, o.partition, BigInt(o.offset));
  }
}
