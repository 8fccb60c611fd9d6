import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ApiConfig } from '@ssync/common';
import { MailboxState, mailboxDecider, mailboxOperational } from '@ssync/domain';
import { AggregateSnapshot, AggregateStore, aggregateTopics, operationalTopic } from '@ssync/messaging';
import { MailboxView, mailboxViewFromState } from '@ssync/read-models';
import { Reach, WHOLE_ORGANIZATION, inReach } from '../http/reach';
import { API_CONFIG, KAFKA } from '../infrastructure/tokens';
import { MailboxIndex } from './mailbox-index';
import { ListMailboxesQuery } from './mailbox.dto';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The query side of mailboxes in each API process: every mailbox's state, followed from the mailbox event log
 * (the same projection the projector writes to MongoDB, held in memory, in every list order). FerretDB v1 serves
 * no filter from an index, on SQLite or on PostgreSQL: a filtered, sorted page of 10,000 mailboxes costs it
 * tens to hundreds of milliseconds; this answers in well under one and reads its own writes by version
 * (docs/adr/0004 and its addendum). The MongoDB view remains for rebuilds, checksums and operators.
 */
@Injectable()
export class MailboxDirectory implements OnModuleInit, OnApplicationShutdown {
  private readonly store: AggregateStore<MailboxState>;
  /** Each mailbox's view, built once when it changes, and kept in every list order. */
  private readonly index = new MailboxIndex();

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(API_CONFIG) config: ApiConfig) {
    const show = (id: string, snapshot: AggregateSnapshot<MailboxState>): void => {
      const view = mailboxViewFromState(snapshot.state, snapshot.version);
      if (view && snapshot.createdAt !== undefined && snapshot.updatedAt !== undefined)
        this.index.upsert(id, view, { createdAt: snapshot.createdAt, updatedAt: snapshot.updatedAt });
    };
    this.store = new AggregateStore(
      kafka,
      aggregateTopics(config.kafka.topicPrefix, 'mailbox').events,
      `${config.kafka.topicPrefix}.mailbox.directory.${config.instanceId}`,
      { ...mailboxDecider, operational: mailboxOperational },
      (e, snapshot) => show(e.aggregateId, snapshot),
      {
        operationalTopic: operationalTopic(config.kafka.topicPrefix, 'mailbox'),
        // The B-5 fields (last sync, next due, last error, counts) come from the operational state.
        onOperational: show,
        // Every poll writes there: read it in batches (about a pace late), not with a fetch per commit (issue #12).
        batchedOperational: true,
        followPaceMs: config.kafka.followerPaceMs,
        stamps: true,
      },
    );
    // Mailboxes restored from snapshots (docs/adr/0011) have no events to be told of.
    this.store.onRestored(show);
  }

  async onModuleInit(): Promise<void> {
    await this.store.start();
  }

  isReady(): boolean {
    return this.store.isFollowing();
  }

  /** Readiness (apps/api/src/health): the directory's store has read the log as it was at start. */
  caughtUpToStart(): boolean {
    return this.store.caughtUpToStart();
  }

  startLag(): number {
    return this.store.startLag();
  }

  problems(): ReturnType<AggregateStore<MailboxState>['problems']> {
    return this.store.problems();
  }

  /** With `minVersion`, waits (≤ 5 s) until the directory has that version. */
  async get(id: string, minVersion?: number): Promise<MailboxView | null> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const view = this.index.get(id);
      if (minVersion === undefined || (view && view.version >= minVersion) || Date.now() > deadline)
        return view;
      await sleep(20);
    }
  }

  /** The view as this process holds it now. */
  peek(id: string): MailboxView | null {
    return this.index.get(id);
  }

  /**
   * The ids that name no mailbox, after waiting (≤ 5 s) for ones provisioned a moment ago. A mailbox out of
   * `reach` counts as none, waited for alike (docs/adr/0020).
   */
  async unknown(ids: string[], reach: Reach = WHOLE_ORGANIZATION): Promise<string[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const missing = ids.filter((id) => {
        const { state } = this.store.get(id);
        return state.status === 'None' || !inReach(reach, state.mailbox.ownerId);
      });
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await sleep(100);
      ids = missing;
    }
  }

  /** Every mailbox `ownerId` owns, active or not (their activities stay theirs). */
  ownedBy(ownerId: string): string[] {
    const out: string[] = [];
    for (const [id, s] of this.store.entries())
      if (s.state.status !== 'None' && s.state.mailbox.ownerId === ownerId) out.push(id);
    return out;
  }

  /** Active mailboxes on a profile (P-14). */
  activeOnProfile(profileId: string): string[] {
    const out: string[] = [];
    for (const [id, s] of this.store.entries())
      if (s.state.status === 'Active' && s.state.mailbox.serverProfileId === profileId) out.push(id);
    return out;
  }

  /** M-2: filter, sort (then by id) and cursor paging. */
  list(query: ListMailboxesQuery): { items: MailboxView[]; nextCursor: string | null } {
    return this.index.list(query);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.stop();
  }
}
