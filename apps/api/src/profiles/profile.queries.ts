import { NotFoundException } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ActiveVersion, ProfileDocument, ProfileView, ReadModels } from '@ssync/read-models';
import { ValidationFailed } from '../http/errors';
import { ListProfilesQuery } from './profile.dto';

export class GetProfile {
  constructor(
    readonly profileId: string,
    readonly minVersion?: number,
  ) {}
}
export class ListProfiles {
  constructor(readonly query: ListProfilesQuery) {}
}

export function toView(doc: ProfileDocument): ProfileView {
  const { _id, createdAt: _c, updatedAt: _u, updatedBy: _b, nameLower: _n, ...view } = doc;
  return { ...view, id: _id };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

@QueryHandler(GetProfile)
export class GetProfileHandler implements IQueryHandler<GetProfile, ProfileView> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  /** With `minVersion`, waits briefly for the projection to reach it: a client reads its own writes. */
  async execute({ profileId, minVersion }: GetProfile): Promise<ProfileView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      const doc = await models.profiles.findById(profileId).lean<ProfileDocument>().exec();
      if (doc && (minVersion === undefined || doc.version >= minVersion)) return toView(doc);
      if (minVersion === undefined || Date.now() > deadline) {
        if (!doc)
          throw new NotFoundException({
            statusCode: 404,
            error: 'Not Found',
            message: `email server profile ${profileId} does not exist`,
          });
        return toView(doc);
      }
      await sleep(25);
    }
  }
}

interface Cursor {
  n: string;
  i: string;
}

@QueryHandler(ListProfiles)
export class ListProfilesHandler implements IQueryHandler<
  ListProfiles,
  { items: ProfileView[]; nextCursor: string | null }
> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  async execute({ query }: ListProfiles): Promise<{ items: ProfileView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const filter: Record<string, unknown> = {};
    if (query.status) filter.status = query.status;
    if (query.ownerId) filter.ownerId = query.ownerId;
    if (query.q) filter.nameLower = { $regex: query.q.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&') };
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      filter.$or = [{ nameLower: { $gt: c.n } }, { nameLower: c.n, _id: { $gt: c.i } }];
    }
    const models = this.readModels.at(await this.active.get());
    const docs = await models.profiles
      .find(filter)
      .sort({ nameLower: 1, _id: 1 })
      .limit(limit + 1)
      .lean<ProfileDocument[]>()
      .exec();
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      docs.length > limit && last
        ? Buffer.from(JSON.stringify({ n: last.nameLower, i: last._id })).toString('base64url')
        : null;
    return { items: page.map(toView), nextCursor };
  }
}

function decodeCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.n === 'string' && typeof c.i === 'string') return c;
  } catch {
    // fall through
  }
  throw new ValidationFailed([
    { field: 'cursor', rule: 'cursor', message: 'is not a cursor this API returned' },
  ]);
}

export const PROFILE_QUERY_HANDLERS = [GetProfileHandler, ListProfilesHandler];
