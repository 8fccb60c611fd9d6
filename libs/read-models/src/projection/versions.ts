import { randomUUID } from 'node:crypto';
import { Connection } from 'mongoose';

/**
 * Read models live in versioned collections (`profiles_v3`, …). A rebuild replays the log into the next version
 * and then switches this pointer; the query side and the live projectors follow the pointer. If the pointer is
 * gone (the database was dropped), the first projector to notice starts a new version from the beginning.
 */
export interface ProjectionPointer {
  _id: 'main';
  version: number;
  /** The consumer group that feeds this version; a new version always gets a new group (replay from offset 0). */
  groupId: string;
  switchedAt: string;
}

const META = 'projection_meta';

export function collectionName(base: string, version: number): string {
  return `${base}_v${version}`;
}

export async function readPointer(conn: Connection): Promise<ProjectionPointer | null> {
  return conn.db!.collection<ProjectionPointer>(META).findOne({ _id: 'main' });
}

export function newGroupId(topicPrefix: string, version: number): string {
  return `${topicPrefix}.projector.v${version}.${randomUUID().slice(0, 8)}`;
}

/** Returns the pointer, creating version 1 when there is none (only one creator wins). */
export async function ensurePointer(conn: Connection, topicPrefix: string): Promise<ProjectionPointer> {
  const existing = await readPointer(conn);
  if (existing) return existing;
  const fresh: ProjectionPointer = {
    _id: 'main',
    version: 1,
    groupId: newGroupId(topicPrefix, 1),
    switchedAt: new Date().toISOString(),
  };
  try {
    await conn.db!.collection<ProjectionPointer>(META).insertOne(fresh);
    return fresh;
  } catch {
    return (await readPointer(conn)) ?? fresh;
  }
}

/** Switches to `next` only if the pointer still names `fromVersion` (a concurrent rebuild loses). */
export async function switchPointer(
  conn: Connection,
  fromVersion: number,
  next: ProjectionPointer,
): Promise<boolean> {
  const res = await conn
    .db!.collection<ProjectionPointer>(META)
    .updateOne(
      { _id: 'main', version: fromVersion },
      { $set: { version: next.version, groupId: next.groupId, switchedAt: next.switchedAt } },
    );
  return res.modifiedCount === 1;
}

/** Caches the active version for the query side for a short time. */
export class ActiveVersion {
  private cached: { version: number; at: number } | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly ttlMs = 500,
  ) {}

  async get(): Promise<number> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.version;
    const pointer = await readPointer(this.conn);
    const version = pointer?.version ?? 1;
    this.cached = { version, at: Date.now() };
    return version;
  }
}
