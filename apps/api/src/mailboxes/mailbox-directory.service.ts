import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ApiConfig } from '@ssync/common';
import { MailboxState, mailboxDecider } from '@ssync/domain';
import { AggregateStore, aggregateTopics } from '@ssync/messaging';
import { MAILBOX_SORT_KEYS, MailboxView, mailboxViewFromState } from '@ssync/read-models';
import { ValidationFailed } from '../http/errors';
import { API_CONFIG, KAFKA } from '../infrastructure/tokens';
import { ListMailboxesQuery, MailboxSort } from './mailbox.dto';

interface Stamps {
  createdAt: string;
  updatedAt: string;
}

interface Row {
  view: MailboxView;
  keys: Record<(typeof MAILBOX_SORT_KEYS)[keyof typeof MAILBOX_SORT_KEYS], string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The query side of mailboxes in each API process: every mailbox's state, followed from the mailbox event log
 * (the same projection the projector writes to MongoDB, held in memory). The MongoDB-compatible server we run on
 * (FerretDB v1, SQLite) answers a filtered, sorted page of 10,000 mailboxes in 1.5–3 s, since it scans; this
 * answers in milliseconds and reads its own writes by version (docs/adr/0004). The MongoDB view remains for
 * rebuilds, checksums and operators.
 */
@Injectable()
export class MailboxDirectory implements OnModuleInit, OnApplicationShutdown {
  private readonly stamps = new Map<string, Stamps>();
  private readonly store: AggregateStore<MailboxState>;
  /** One row per mailbox, replaced when its mailbox changes: a list query only filters and sorts. */
  private readonly rows = new Map<string, Row>();

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(API_CONFIG) config: ApiConfig) {
    this.store = new AggregateStore(
      kafka,
      aggregateTopics(config.kafka.topicPrefix, 'mailbox').events,
      `${config.kafka.topicPrefix}.mailbox.directory.${config.instanceId}`,
      mailboxDecider,
      (e, snapshot) => {
        const s = this.stamps.get(e.aggregateId);
        const stamps = { createdAt: s?.createdAt ?? e.occurredAt, updatedAt: e.occurredAt };
        this.stamps.set(e.aggregateId, stamps);
        const view = mailboxViewFromState(snapshot.state, snapshot.version);
        if (!view) return;
        this.rows.set(e.aggregateId, {
          view,
          keys: {
            nameLower: view.name.toLowerCase(),
            emailLower: (view.emailAddress ?? '').toLowerCase(),
            createdAt: stamps.createdAt,
            updatedAt: stamps.updatedAt,
          },
        });
      },
    );
  }

  async onModuleInit(): Promise<void> {
    await this.store.start();
  }

  isReady(): boolean {
    return this.store.isFollowing();
  }

  /** The row's view, built once when its mailbox last changed. */
  private view(id: string): MailboxView | null {
    return this.rows.get(id)?.view ?? null;
  }

  /** With `minVersion`, waits (≤ 5 s) until the directory has that version. */
  async get(id: string, minVersion?: number): Promise<MailboxView | null> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const view = this.view(id);
      if (minVersion === undefined || (view && view.version >= minVersion) || Date.now() > deadline)
        return view;
      await sleep(20);
    }
  }

  /** The ids that name no mailbox, after waiting (≤ 5 s) for ones provisioned a moment ago. */
  async unknown(ids: string[]): Promise<string[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const missing = ids.filter((id) => this.store.get(id).version === 0);
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await sleep(100);
      ids = missing;
    }
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
    const limit = query.limit ?? 50;
    const sort: MailboxSort = query.sort ?? 'name';
    const descending = sort.startsWith('-');
    const key = MAILBOX_SORT_KEYS[sort.replace(/^-/, '') as keyof typeof MAILBOX_SORT_KEYS];
    const status = query.status ?? 'Active';
    const equal: [keyof MailboxView, unknown][] = [];
    for (const f of [
      'serverProfileId',
      'kind',
      'ownerId',
      'emailAddressStatus',
      'mailboxStatus',
      'incomingEmailStatus',
      'outgoingEmailStatus',
      'actStatus',
    ] as const)
      if (query[f] !== undefined) equal.push([f, query[f]]);
    for (const f of ['enabledForIncomingEmail', 'enabledForOutgoingEmail', 'enabledForAct'] as const)
      if (query[f] !== undefined) equal.push([f, query[f] === 'true']);
    const text = query.q?.toLowerCase();
    const cursor = query.cursor ? decodeCursor(query.cursor, sort) : null;
    const sign = descending ? -1 : 1;
    const compare = (a: Row, b: Row): number => {
      const x = a.keys[key];
      const y = b.keys[key];
      if (x !== y) return (x < y ? -1 : 1) * sign;
      return (a.view.id < b.view.id ? -1 : a.view.id > b.view.id ? 1 : 0) * sign;
    };
    const matches = [...this.rows.values()].filter((r) => {
      if (r.view.status !== status) return false;
      for (const [f, v] of equal) if (r.view[f] !== v) return false;
      if (text && !r.keys.nameLower.includes(text) && !r.keys.emailLower.includes(text)) return false;
      if (cursor) {
        const v = r.keys[key];
        const after = descending
          ? v < cursor.v || (v === cursor.v && r.view.id < cursor.i)
          : v > cursor.v || (v === cursor.v && r.view.id > cursor.i);
        if (!after) return false;
      }
      return true;
    });
    matches.sort(compare);
    const page = matches.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      matches.length > limit && last
        ? Buffer.from(JSON.stringify({ s: sort, v: last.keys[key], i: last.view.id })).toString('base64url')
        : null;
    return { items: page.map((r) => r.view), nextCursor };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.stop();
  }
}

function decodeCursor(cursor: string, sort: MailboxSort): { v: string; i: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s: string;
      v: unknown;
      i: unknown;
    };
    if (typeof c.v === 'string' && typeof c.i === 'string' && c.s === sort) return { v: c.v, i: c.i };
  } catch {
    // fall through
  }
  throw new ValidationFailed([
    { field: 'cursor', rule: 'cursor', message: 'is not a cursor this API returned for this sort' },
  ]);
}
