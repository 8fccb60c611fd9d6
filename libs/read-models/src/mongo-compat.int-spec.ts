// Compatibility check of the MongoDB-compatible server (FerretDB in development and CI): every query shape and
// update operator the read models, the query side and the lease limiter use, run as the product runs it, with the
// semantics the product relies on asserted. A change that needs something the server lacks fails here, not in
// production. Shapes not listed here are not used by the product (no aggregation pipelines of its own, no
// findOneAndUpdate, $unset, $setOnInsert, $addToSet, $exists, dotted paths, hints or collations).
import { NotFoundException } from '@nestjs/common';
import { MongoBulkWriteError, MongoClient, WriteError } from 'mongodb';
import mongoose, { Connection } from 'mongoose';
import { MongoLease, MongoLeaseLimiter } from '@ssync/coordination';
import {
  ActivityEvent,
  AlertEvent,
  JobEvent,
  MailboxEvent,
  MailboxSettings,
  OrganizationEvent,
  ProfileEvent,
  ProfileSettings,
  MailboxSyncState,
  SealedSecret,
  emptySync,
} from '@ssync/domain';
import { AggregateType, EventEnvelope, OPERATIONAL_RECORD_TYPE } from '@ssync/messaging';
import { dropDatabase, testNamespace } from '@ssync/testing/env';
import {
  GetEmailActivity,
  GetEmailActivityHandler,
  GetMailboxLedger,
  GetMailboxLedgerHandler,
  GetTrackingLatency,
  GetTrackingLatencyHandler,
  ListEmailActivities,
  ListEmailActivitiesHandler,
} from '../../../apps/api/src/activities/activity.queries';
import type { MailboxDirectory } from '../../../apps/api/src/mailboxes/mailbox-directory.service';
import {
  GetProfile,
  GetProfileHandler,
  ListProfiles,
  ListProfilesHandler,
} from '../../../apps/api/src/profiles/profile.queries';
import { isAlertDismissed, readAlertWall } from './alerts/alert-wall';
import { alertId, hourOf } from './alerts/alert.projection';
import {
  AlertDismissalDocument,
  AlertDocument,
  AlertSubjectDocument,
  ProfileFailureDocument,
} from './alerts/alert.schema';
import { AuditDocument } from './audit/audit.schema';
import { JobDocument, JobResultDocument } from './jobs/job.schema';
import { MailboxDocument } from './mailboxes/mailbox.schema';
import { OrganizationSettingsDocument } from './organization/organization-settings.schema';
import { ProfileDocument } from './profiles/profile.schema';
import { EmailActivityDocument, TrackingLedgerDocument } from './activities/activity.schema';
import { isDuplicateKey } from './projection/mongo-errors';
import { deferMailboxWrites, flushMailboxes, forgetMailboxCache, project } from './projection/projector';
import {
  ActiveVersion,
  collectionName,
  ensurePointer,
  newGroupId,
  readPointer,
  switchPointer,
} from './projection/versions';
import { READ_MODEL_BASES, ReadModels, VersionedModels, modelsOf } from './read-models';

const ns = testNamespace('mongo-compat');
let conn: Connection;
let readModels: ReadModels;
let lastVersion = 0;

beforeAll(async () => {
  // As the API and the projector connect (apps/api/src/infrastructure/infrastructure.module.ts).
  conn = await mongoose
    .createConnection(ns.mongoUri, { serverSelectionTimeoutMS: 10000, autoIndex: false })
    .asPromise();
  readModels = new ReadModels(conn);
});

afterAll(async () => {
  // Collections, not the database (see dropDatabase in test/support/env.ts).
  await dropDatabase(ns);
  await conn.close();
});

/** A read-model version of its own (fresh collections) with its indexes, as the projector prepares one. */
async function freshModels(): Promise<VersionedModels> {
  lastVersion += 1;
  await readModels.ensureIndexes(lastVersion);
  return readModels.at(lastVersion);
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
/** An instant `n` minutes after T0, as the events carry it. */
const minute = (n: number): string => new Date(T0 + n * 60_000).toISOString();

type DomainEvent = ProfileEvent | OrganizationEvent | MailboxEvent | JobEvent | ActivityEvent | AlertEvent;

/** Same aggregate and sequence, same envelope: a redelivery is byte-for-byte the original. */
function envelope(
  aggregateType: AggregateType,
  aggregateId: string,
  sequence: number,
  event: DomainEvent,
  occurredAt = minute(sequence),
): EventEnvelope {
  return {
    eventId: `${aggregateType}:${aggregateId}:${sequence}`,
    type: event.type,
    schemaVersion: 1,
    aggregateType,
    aggregateId,
    sequence,
    occurredAt,
    orgId: 'org-1',
    actor: 'u-admin',
    correlationId: `corr-${aggregateId}-${sequence}`,
    causationId: `cmd-${aggregateId}-${sequence}`,
    payload: event.data,
  };
}

const sealed = (name: string): SealedSecret => `enc:v1:k1:aXY=:dGFn:${name}` as SealedSecret;

function profileSettings(over: Partial<ProfileSettings>): ProfileSettings {
  return {
    name: 'Contoso Exchange',
    description: null,
    autoDiscoverServerLocation: false,
    incomingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
    outgoingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
    authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
    userName: 'CONTOSO\\svc-ssync',
    password: sealed('pw'),
    useSameSettingsForOutgoing: true,
    outgoingUserName: null,
    outgoingPassword: null,
    incomingAuthenticationProtocol: 'AutoDetect',
    outgoingAuthenticationProtocol: 'AutoDetect',
    processEmailFrom: null,
    minimumPollingIntervalMinutes: 1,
    maxConcurrentConnections: 10,
    moveFailedEmailsToUndeliverableFolder: false,
    ownerId: 'u-owner',
    ...over,
  };
}

const profileCreated = (profileId: string, over: Partial<ProfileSettings> = {}): ProfileEvent => ({
  type: 'ProfileCreated',
  data: { profileId, settings: profileSettings(over) },
});

function mailboxSettings(over: Partial<MailboxSettings>): MailboxSettings {
  return {
    name: 'Ann Smith',
    emailAddress: 'Ann.Smith@Contoso.test',
    ownerId: 'u-ann',
    serverProfileId: 'p-1',
    incomingEmailDeliveryMethod: 'ServerSideSync',
    outgoingEmailDeliveryMethod: 'ServerSideSync',
    actDeliveryMethod: 'None',
    syncOnlyFromThisOrg: false,
    ...over,
  };
}

const provisioned = (mailboxId: string, over: Partial<MailboxSettings> = {}): MailboxEvent => ({
  type: 'MailboxProvisioned',
  data: { mailboxId, kind: 'User', settings: mailboxSettings(over), emailAddressStatus: 'PendingApproval' },
});

const mailboxUpdated = (mailboxId: string, changes: Partial<MailboxSettings>): MailboxEvent => ({
  type: 'MailboxUpdated',
  data: { mailboxId, changes, resetAreas: [] },
});

const syncFailed = (mailboxId: string, poll: number, failedAt: string): MailboxEvent => ({
  type: 'MailboxSyncFailed',
  data: {
    mailboxId,
    poll,
    failedAt,
    nextSyncDueAt: null,
    reason: 'ErrorServerBusy',
    consecutiveFailures: poll,
    disabled: false,
  },
});

const tracked = (
  activityId: string,
  mailboxId: string,
  receivedAt: string,
  trackedAt: string,
): ActivityEvent => ({
  type: 'IncomingEmailTracked',
  data: {
    activityId,
    mailboxId,
    exchangeItemId: `ex-${activityId}`,
    internetMessageId: `<${activityId}@fabrikam.test>`,
    subject: `Subject of ${activityId}`,
    from: 'sender@fabrikam.test',
    to: ['ann@contoso.test', 'bob@contoso.test'],
    cc: [],
    body: 'Hello',
    bodyType: 'Text',
    receivedAt,
    sentAt: receivedAt,
    trackedAt,
  },
});

const queued = (activityId: string, mailboxId: string, queuedAt: string): ActivityEvent => ({
  type: 'OutgoingEmailQueued',
  data: {
    activityId,
    mailboxId,
    from: 'ann@contoso.test',
    to: ['carol@fabrikam.test'],
    cc: ['bob@contoso.test'],
    subject: `Outgoing ${activityId}`,
    body: '<p>Hi</p>',
    bodyType: 'HTML',
    queuedAt,
  },
});

const outcome = (
  activityId: string,
  mailboxId: string,
  kind: 'Duplicate' | 'SkippedByRule',
  at: string,
): ActivityEvent => ({
  type: 'MessageOutcomeRecorded',
  data: {
    activityId,
    mailboxId,
    exchangeItemId: `ex-${activityId}`,
    internetMessageId: `<${activityId}@fabrikam.test>`,
    outcome: kind,
    reason: kind === 'Duplicate' ? 'already tracked' : 'sender is not a CRM contact',
    at,
  },
});

describe('read models: schemas and indexes (libs/read-models/src/read-models.ts ensureIndexes, */*.schema.ts)', () => {
  let models: VersionedModels;

  beforeAll(async () => {
    models = await freshModels();
  });

  it('ensureIndexes (the only index builder: autoIndex is off in the apps) leaves each declared index once: compound, mixed directions, key order, unique', async () => {
    for (const model of modelsOf(models)) {
      const declared = model.schema.indexes();
      const actual = await model.collection.indexes();
      for (const [fields, options] of declared) {
        const match = actual.find(
          (i) => JSON.stringify(Object.entries(i.key)) === JSON.stringify(Object.entries(fields)),
        );
        expect({ collection: model.collection.collectionName, key: match?.key }).toEqual({
          collection: model.collection.collectionName,
          key: fields,
        });
        expect(Boolean(match?.unique)).toBe(Boolean(options.unique));
      }
      // Each index once. FerretDB v1 may build an index twice when two identical createIndex calls race, so the
      // apps build indexes through ensureIndexes alone (autoIndex off, docs/adr/0009).
      const names = actual.map((i) => String(i.name)).sort();
      expect({ collection: model.collection.collectionName, names }).toEqual({
        collection: model.collection.collectionName,
        names: [...new Set(names)],
      });
      // _id plus the declared ones: nothing dropped, nothing extra.
      expect(actual).toHaveLength(declared.length + 1);
    }
  });

  it('ensureIndexes again (the projector runs it on every follow) succeeds and changes nothing', async () => {
    const before = await models.mailboxes.collection.indexes();
    await readModels.ensureIndexes(models.version);
    expect(await models.mailboxes.collection.indexes()).toEqual(before);
  });

  it('the unique audit index (aggregateType, aggregateId, sequence) refuses a second event at a sequence with E11000', async () => {
    const doc = {
      aggregateType: 'mailbox',
      aggregateId: 'm-1',
      sequence: 1,
      type: 'MailboxProvisioned',
      schemaVersion: 1,
      occurredAt: minute(1),
      actor: 'u-admin',
      correlationId: 'c',
      causationId: 'c',
      payload: {},
    };
    await models.audit.collection.insertOne({ _id: 'e-1' as never, ...doc });
    const error = await rejection(models.audit.collection.insertOne({ _id: 'e-2' as never, ...doc }));
    expect(error).toMatchObject({ code: 11000 });
    expect(isDuplicateKey(error)).toBe(true);
    expect(await models.audit.collection.countDocuments({ aggregateId: 'm-1' })).toBe(1);
  });
});

describe('read models: versioned collections, pointer, drop and checksum (projection/versions.ts, read-models.ts)', () => {
  it('ensurePointer creates version 1 once (insertOne of _id "main"); concurrent and later callers get the same pointer', async () => {
    const pointers = await Promise.all([1, 2, 3].map(() => ensurePointer(conn, ns.prefix)));
    const stored = await readPointer(conn);
    expect(stored).not.toBeNull();
    for (const p of pointers) expect(p).toEqual(stored);
    expect(await ensurePointer(conn, ns.prefix)).toEqual(stored);
  });

  it('switchPointer moves the pointer only from the version it names ({_id, version} + $set, modifiedCount)', async () => {
    const current = (await readPointer(conn))!;
    const next = {
      _id: 'main' as const,
      version: current.version + 100,
      groupId: newGroupId(ns.prefix, current.version + 100),
      switchedAt: minute(0),
    };
    expect(await switchPointer(conn, current.version, next)).toBe(true);
    const rival = { ...next, version: next.version + 1, groupId: newGroupId(ns.prefix, next.version + 1) };
    // A concurrent rebuild still naming the old version loses.
    expect(await switchPointer(conn, current.version, rival)).toBe(false);
    expect(await readPointer(conn)).toEqual(next);
    expect(await new ActiveVersion(conn, 0).get()).toBe(next.version);
  });

  it("drop removes exactly one version's collections (listCollections nameOnly, dropCollection), and is a no-op after", async () => {
    const kept = await freshModels();
    const dropped = await freshModels();
    await readModels.drop(dropped.version);
    await readModels.drop(dropped.version);
    const names = (await conn.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    for (const base of READ_MODEL_BASES) {
      expect(names).toContain(collectionName(base, kept.version));
      expect(names).not.toContain(collectionName(base, dropped.version));
    }
  });

  it('checksum covers every document whatever order the server returns them in (several cursor batches): insertion order does not matter, a change does', async () => {
    const a = await freshModels();
    const b = await freshModels();
    // More than one cursor batch (101 by default), and ids whose binary order differs from a human one.
    const audit: AuditDocument[] = Array.from({ length: 250 }, (_, i) => ({
      _id: `evt-${i}`,
      aggregateType: 'mailbox',
      aggregateId: `m-${i % 7}`,
      sequence: i,
      type: 'MailboxUpdated',
      schemaVersion: 1,
      occurredAt: minute(i),
      actor: 'u-admin',
      correlationId: `c-${i}`,
      causationId: `c-${i}`,
      payload: { n: i, nested: { list: [i, `${i}`] } },
    }));
    const ids = ['10', '9', 'B', 'a', 'A', '_x', 'b-2', 'b-10'];
    const profiles = ids.map((id) => ({ _id: id, name: id, nameLower: id.toLowerCase(), version: 1 }));
    await a.audit.collection.insertMany(audit as never[]);
    await a.profiles.collection.insertMany(profiles as never[]);
    await b.audit.collection.insertMany([...audit].reverse() as never[]);
    await b.profiles.collection.insertMany([...profiles].reverse() as never[]);

    const sorted = await b.profiles.collection.find({}).sort({ _id: 1 }).toArray();
    expect(sorted.map((d) => String(d._id))).toEqual([...ids].sort());
    const first = await readModels.checksum(a.version);
    expect(first).toEqual(await readModels.checksum(b.version));
    expect(first.documents).toBe(audit.length + ids.length);

    await b.profiles.collection.updateOne({ _id: 'a' as never }, { $set: { version: 2 } });
    expect((await readModels.checksum(b.version)).checksum).not.toBe(first.checksum);
    // Contents swapped between two ids: the same documents by content, not by id.
    const c = await freshModels();
    await c.audit.collection.insertMany(audit as never[]);
    await c.profiles.collection.insertMany(
      profiles.map((p, i) => ({ ...profiles[(i + 1) % profiles.length]!, _id: p._id })) as never[],
    );
    expect((await readModels.checksum(c.version)).checksum).not.toBe(first.checksum);
    // A document moved to another collection.
    const d = await freshModels();
    await d.audit.collection.insertMany(audit.slice(1) as never[]);
    await d.profiles.collection.insertMany([...profiles, audit[0]!] as never[]);
    expect(await readModels.checksum(d.version)).toMatchObject({ documents: first.documents });
    expect((await readModels.checksum(d.version)).checksum).not.toBe(first.checksum);
  });
});

describe('projector: profiles and organization settings (projection/projector.ts applyProfile, applyOrganization)', () => {
  let models: VersionedModels;

  beforeAll(async () => {
    models = await freshModels();
  });

  it('upserts with {_id, version: {$lt: seq}} + $set: creates, moves forward, and ignores replays', async () => {
    const created = envelope('profile', 'pr-1', 1, profileCreated('pr-1', { name: 'Contoso EU' }));
    const updated = envelope('profile', 'pr-1', 2, {
      type: 'ProfileUpdated',
      data: { profileId: 'pr-1', changes: { name: 'Contoso Europe', password: null } },
    });
    const deactivated = envelope('profile', 'pr-1', 3, {
      type: 'ProfileDeactivated',
      data: { profileId: 'pr-1', reassignMailboxesTo: null },
    });
    await project(models, [created]);
    const first = await models.profiles.findById('pr-1').lean<ProfileDocument>().exec();
    expect(first).toMatchObject({
      _id: 'pr-1',
      id: 'pr-1',
      status: 'Active',
      name: 'Contoso EU',
      nameLower: 'contoso eu',
      passwordSet: true,
      outgoingPasswordSet: false,
      version: 1,
      createdAt: minute(1),
    });
    expect(first).not.toHaveProperty('password');
    expect(first).not.toHaveProperty('outgoingPassword');

    await project(models, [updated, deactivated]);
    // Redelivery of older events: the upsert finds no document to move and its insert meets E11000 (ignored).
    await project(models, [created, updated]);
    const doc = await models.profiles.findById('pr-1').lean<ProfileDocument>().exec();
    expect(doc).toMatchObject({
      name: 'Contoso Europe',
      nameLower: 'contoso europe',
      passwordSet: false,
      status: 'Inactive',
      version: 3,
      createdAt: minute(1),
      updatedAt: minute(3),
    });
    expect(await models.profiles.countDocuments({}).exec()).toBe(1);
  });

  it('an upsert whose {version: {$lt}} guard does not match an existing _id fails with E11000 (what replays rely on)', async () => {
    const error = await rejection(
      models.profiles.collection.updateOne(
        { _id: 'pr-1' as never, version: { $lt: 2 } },
        { $set: { status: 'Active', version: 2 } },
        { upsert: true },
      ),
    );
    expect(error).toMatchObject({ code: 11000 });
    expect(isDuplicateKey(error)).toBe(true);
    expect(await models.profiles.findById('pr-1').lean<ProfileDocument>().exec()).toMatchObject({
      status: 'Inactive',
      version: 3,
    });
  });

  it('organization settings: $set of the changed fields only (nulls included), read back with findById (apps/api organization.ts)', async () => {
    const first: OrganizationEvent = {
      type: 'OrganizationEmailSettingsChanged',
      data: {
        organizationId: 'org-1',
        changes: {
          defaultServerProfileId: 'pr-1',
          incomingEmailDeliveryMethod: 'ServerSideSync',
          outgoingEmailDeliveryMethod: 'ServerSideSync',
          actDeliveryMethod: 'None',
          processEmailsOnlyForApprovedUsers: true,
          processEmailsOnlyForApprovedQueues: true,
        },
      },
    };
    const second: OrganizationEvent = {
      type: 'OrganizationEmailSettingsChanged',
      data: {
        organizationId: 'org-1',
        changes: { defaultServerProfileId: null, processEmailsOnlyForApprovedQueues: false },
      },
    };
    await project(models, [envelope('organization', 'org-1', 1, first)]);
    await project(models, [envelope('organization', 'org-1', 2, second)]);
    await project(models, [envelope('organization', 'org-1', 1, first)]);
    const doc = await models.organizationSettings
      .findById('org-1')
      .lean<OrganizationSettingsDocument>()
      .exec();
    expect(doc).toEqual({
      _id: 'org-1',
      defaultServerProfileId: null,
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'ServerSideSync',
      actDeliveryMethod: 'None',
      processEmailsOnlyForApprovedUsers: true,
      processEmailsOnlyForApprovedQueues: false,
      version: 2,
      updatedAt: minute(2),
      updatedBy: 'u-admin',
    });
    expect(await models.organizationSettings.findById('org-2').lean().exec()).toBeNull();
  });
});

describe('projector: audit trail (projection/projector.ts appendAudit, fromAudit; apps/api audit.controller.ts)', () => {
  let models: VersionedModels;

  beforeAll(async () => {
    models = await freshModels();
  });

  it('insertMany ordered:false inserts the new events of a partly redelivered batch and reports the rest as E11000', async () => {
    const events = Array.from({ length: 4 }, (_, i) =>
      envelope('profile', 'pr-a', i + 1, {
        type: 'ProfileUpdated',
        data: { profileId: 'pr-a', changes: { description: `v${i + 1}`, password: sealed('secret') } },
      }),
    );
    await project(models, events.slice(0, 2));
    await project(models, events);
    const docs = await models.audit.find({ aggregateId: 'pr-a' }).lean<AuditDocument[]>().exec();
    expect(docs.map((d) => d._id).sort()).toEqual(events.map((e) => e.eventId).sort());
    // Secrets are redacted on the way in.
    expect(JSON.stringify(docs)).not.toContain('enc:v1');

    const error = await rejection(
      models.audit.collection.insertMany(
        [
          { ...docs[0]!, _id: docs[0]!._id },
          { ...docs[1]!, _id: 'fresh-1', sequence: 101 },
          { ...docs[2]!, _id: docs[2]!._id },
          { ...docs[1]!, _id: 'fresh-2', sequence: 102 },
        ] as never[],
        { ordered: false },
      ),
    );
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    const writeErrors: WriteError[] = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    expect(writeErrors.map((w): [number, unknown] => [w.index, w.code])).toEqual([
      [0, 11000],
      [2, 11000],
    ]);
    expect(bulk.result.insertedCount).toBe(2);
    expect(isDuplicateKey(error)).toBe(true);
    expect(await models.audit.countDocuments({ _id: { $in: ['fresh-1', 'fresh-2'] } }).exec()).toBe(2);
  });

  it('find {aggregateType, aggregateId, sequence: {$lt}} sorted by sequence: numeric order, other streams excluded', async () => {
    const docs = [3, 12, 1, 10, 2, 9, 11].flatMap((sequence) => [
      { _id: `m-x:${sequence}`, aggregateType: 'mailbox', aggregateId: 'm-x', sequence },
      { _id: `m-y:${sequence}`, aggregateType: 'mailbox', aggregateId: 'm-y', sequence },
      { _id: `p-x:${sequence}`, aggregateType: 'profile', aggregateId: 'm-x', sequence },
    ]);
    await models.audit.collection.insertMany(docs as never[]);
    const before = await models.audit
      .find({ aggregateType: 'mailbox', aggregateId: 'm-x', sequence: { $lt: 11 } })
      .sort({ sequence: 1 })
      .lean<AuditDocument[]>()
      .exec();
    expect(before.map((d) => d._id)).toEqual(['m-x:1', 'm-x:2', 'm-x:3', 'm-x:9', 'm-x:10']);
    const history = await models.audit
      .find({ aggregateType: 'mailbox', aggregateId: 'm-x' })
      .sort({ sequence: 1 })
      .lean<AuditDocument[]>()
      .exec();
    expect(history.map((d) => d.sequence)).toEqual([1, 2, 3, 9, 10, 11, 12]);
  });
});

// Each changed mailbox document is replaced by _id only when older (replaceOne upsert, 16 in flight); the mailboxes
// missing from the projector's cache are read with find {_id: {$in}}, and from the audit trail when gone.
describe('projector: mailboxes (projection/projector.ts applyMailboxes)', () => {
  let models: VersionedModels;
  const read = async (ids: string[]): Promise<MailboxDocument[]> =>
    (await models.mailboxes.collection
      .find({ _id: { $in: ids as never[] } })
      .sort({ _id: 1 })
      .toArray()) as unknown as MailboxDocument[];

  beforeAll(async () => {
    models = await freshModels();
  });

  it('a batch writes each changed mailbox: view fields, sort keys, nested sync state, arrays', async () => {
    await project(models, [
      envelope('mailbox', 'mbx-1', 1, provisioned('mbx-1')),
      envelope(
        'mailbox',
        'mbx-2',
        1,
        provisioned('mbx-2', { name: 'Bob', emailAddress: null, ownerId: 'u-bob' }),
      ),
      envelope('mailbox', 'mbx-1', 2, mailboxUpdated('mbx-1', { name: 'Ann Smith-Jones' })),
    ]);
    const [one, two] = await read(['mbx-1', 'mbx-2', 'mbx-3']);
    expect(one).toMatchObject({
      _id: 'mbx-1',
      id: 'mbx-1',
      status: 'Active',
      version: 2,
      name: 'Ann Smith-Jones',
      nameLower: 'ann smith-jones',
      emailAddress: 'Ann.Smith@Contoso.test',
      emailLower: 'ann.smith@contoso.test',
      serverProfileId: 'p-1',
      testAreas: [],
      createdAt: minute(1),
      updatedAt: minute(2),
      sync: { syncState: null, polls: 0, consecutiveFailures: 0 },
    });
    expect(two).toMatchObject({ _id: 'mbx-2', version: 1, emailAddress: null, emailLower: '' });
  });

  it('replaying the batch against the stored documents (cache forgotten) changes nothing', async () => {
    const before = await read(['mbx-1', 'mbx-2']);
    forgetMailboxCache(models);
    await project(models, [
      envelope('mailbox', 'mbx-1', 1, provisioned('mbx-1')),
      envelope('mailbox', 'mbx-1', 2, mailboxUpdated('mbx-1', { name: 'Ann Smith-Jones' })),
    ]);
    expect(await read(['mbx-1', 'mbx-2'])).toEqual(before);
  });

  it('a missing document is folded again from the audit trail (find {_id: {$in}} misses it)', async () => {
    await models.mailboxes.collection.deleteMany({ _id: { $in: ['mbx-1'] as never[] } });
    forgetMailboxCache(models);
    await project(models, [
      envelope('mailbox', 'mbx-1', 3, mailboxUpdated('mbx-1', { emailAddress: 'ANN@contoso.test' })),
    ]);
    const [doc] = await read(['mbx-1']);
    expect(doc).toMatchObject({
      version: 3,
      name: 'Ann Smith-Jones',
      emailLower: 'ann@contoso.test',
      createdAt: minute(1),
      updatedAt: minute(3),
    });
  });

  it('a batch of 40 mailboxes, redelivered in part with newer events, ends with every document at its version', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
    await project(
      models,
      ids.map((id) => envelope('mailbox', id, 1, provisioned(id, { name: `Name ${id}` }))),
    );
    forgetMailboxCache(models);
    await project(models, [
      ...ids.map((id) => envelope('mailbox', id, 1, provisioned(id, { name: `Name ${id}` }))),
      ...ids
        .filter((_, i) => i % 2 === 0)
        .map((id) => envelope('mailbox', id, 2, mailboxUpdated(id, { name: `Renamed ${id}` }))),
    ]);
    const docs = await read(ids);
    expect(docs.map((d) => [d._id, d.version, d.name])).toEqual(
      ids.map((id, i) => [id, i % 2 === 0 ? 2 : 1, i % 2 === 0 ? `Renamed ${id}` : `Name ${id}`]),
    );
  });

  it('replaceOne {_id, version: {$lt}} with upsert, 16 in flight: creates, replaces whole documents, E11000 when not newer', async () => {
    const col = models.mailboxes.collection;
    const replace = (id: string, version: number, extra: Record<string, unknown> = {}) =>
      col.replaceOne(
        { _id: id as never, version: { $lt: version } },
        { _id: id, version, name: `v${version}`, ...extra },
        { upsert: true },
      );
    const ids = Array.from({ length: 16 }, (_, i) => `rp-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => replace(id, 1, { sync: { polls: 0 } })));
    const results = await Promise.allSettled(ids.map((id, i) => (i === 5 ? replace(id, 1) : replace(id, 3))));
    const failed = results.flatMap((r, i): [number, unknown][] =>
      r.status === 'rejected' ? [[i, r.reason as unknown]] : [],
    );
    expect(failed.map(([i]) => i)).toEqual([5]);
    expect(isDuplicateKey(failed[0]![1])).toBe(true);
    const docs = await read(ids);
    // A replacement drops the fields it does not carry (here the nested sync state).
    expect(docs.map((d) => [d._id, d.version, 'sync' in d])).toEqual(
      ids.map((id, i) => (i === 5 ? [id, 1, true] : [id, 3, false])),
    );
    const stale = await rejection(replace('rp-00', 2));
    expect(stale).toMatchObject({ code: 11000 });
    expect((await read(['rp-00']))[0]).toEqual({ _id: 'rp-00', version: 3, name: 'v3' });
  });
});

// A quiet poll's operational record (docs/adr/0010, addendum) moves only the projector's copy; what an administrator
// acts on, and a heartbeat, are written ($set by _id).
describe('projector: operational records (projection/projector.ts applyMailboxOperational)', () => {
  let models: VersionedModels;
  const stored = async (id: string): Promise<MailboxDocument> =>
    (await models.mailboxes.collection.findOne({ _id: id as never })) as unknown as MailboxDocument;
  const record = (id: string, sequence: number, sync: Partial<MailboxSyncState>): EventEnvelope => ({
    ...envelope('mailbox', id, sequence, { type: 'MailboxProvisioned', data: {} } as never),
    eventId: `op:${id}:${String(sync.polls)}`,
    type: OPERATIONAL_RECORD_TYPE,
    payload: { ...emptySync(), trackFrom: minute(0), ...sync },
  });
  const quiet = (id: string, poll: number, at: string) =>
    record(id, 1, { polls: poll, lastSyncAt: at, nextSyncDueAt: at, syncState: `cursor-${poll}` });

  beforeAll(async () => {
    models = await freshModels();
    await project(models, [envelope('mailbox', 'hb-1', 1, provisioned('hb-1'))]);
  });

  it('the first outcome is written; a quiet one after it is not, yet the projector evolves from it', async () => {
    await project(models, [quiet('hb-1', 1, minute(10))]);
    expect(await stored('hb-1')).toMatchObject({ lastSyncAt: minute(10), sync: { polls: 1 } });
    await project(models, [quiet('hb-1', 2, minute(11))]);
    expect(await stored('hb-1')).toMatchObject({ lastSyncAt: minute(10), sync: { polls: 1 } });
    // An event writes the whole document, the unwritten record's fields with it.
    await project(models, [envelope('mailbox', 'hb-1', 2, mailboxUpdated('hb-1', { name: 'Heartbeat' }))]);
    expect(await stored('hb-1')).toMatchObject({
      name: 'Heartbeat',
      version: 2,
      lastSyncAt: minute(11),
      sync: { polls: 2, syncState: 'cursor-2' },
    });
  });

  it('a failure and a recovery are written at once; mail processed and quiet polls after a heartbeat', async () => {
    const at = (n: number, sync: Partial<MailboxSyncState> = {}) =>
      record('hb-1', 2, {
        polls: n,
        lastSyncAt: minute(10 + n),
        nextSyncDueAt: minute(11 + n),
        syncState: `cursor-${n}`,
        ...sync,
      });
    await project(models, [at(3, { lastSyncError: 'timeout', consecutiveFailures: 1 })]);
    expect(await stored('hb-1')).toMatchObject({
      lastSyncError: 'timeout',
      sync: { consecutiveFailures: 1 },
    });
    await project(models, [at(4)]);
    expect(await stored('hb-1')).toMatchObject({ lastSyncError: null, lastSyncAt: minute(14) });
    // The item counts move with the heartbeat (the API shows them live): a poll that tracked mail writes nothing.
    await project(models, [at(5, { itemsProcessedLastSync: 2 })]);
    expect(await stored('hb-1')).toMatchObject({ itemsProcessedLastSync: 0, lastSyncAt: minute(14) });
    await project(models, [at(6)]);
    expect(await stored('hb-1')).toMatchObject({ lastSyncAt: minute(14) });
    // Quiet for nine minutes, then the heartbeat.
    for (let n = 7; n <= 13; n += 1) await project(models, [at(n)]);
    expect(await stored('hb-1')).toMatchObject({ lastSyncAt: minute(14) });
    await project(models, [at(14, { itemsProcessedLastSync: 1 })]);
    expect(await stored('hb-1')).toMatchObject({
      lastSyncAt: minute(24),
      itemsProcessedLastSync: 1,
      sync: { polls: 14 },
    });
  });

  it('checksums leave the heartbeat out: a replay that wrote every record agrees with the quiet one', async () => {
    const replayed = await freshModels();
    await project(replayed, [
      envelope('mailbox', 'hb-1', 1, provisioned('hb-1')),
      envelope('mailbox', 'hb-1', 2, mailboxUpdated('hb-1', { name: 'Heartbeat' })),
    ]);
    await project(replayed, [{ ...quiet('hb-1', 17, minute(27)), sequence: 2 }]);
    await project(models, [{ ...quiet('hb-1', 17, minute(27)), sequence: 2 }]);
    expect((await stored('hb-1')).lastSyncAt).toBe(minute(24));
    expect(await readModels.checksum(lastVersion)).toEqual(await readModels.checksum(lastVersion - 1));
  });
});

// A rebuild's version is read by no one before its switch: each mailbox document is written once, after the replay
// (insertMany; a document found there already is replaced when older), and the views match a live projection's.
describe('projector: a rebuild writes each mailbox once (deferMailboxWrites, flushMailboxes)', () => {
  const record = (id: string, sequence: number, sync: Partial<MailboxSyncState>): EventEnvelope => ({
    ...envelope('mailbox', id, sequence, { type: 'MailboxProvisioned', data: {} } as never),
    eventId: `op:${id}:${String(sync.polls)}`,
    type: OPERATIONAL_RECORD_TYPE,
    payload: { ...emptySync(), trackFrom: minute(0), ...sync },
  });
  const batches: EventEnvelope[][] = [
    // An operational record before its mailbox's events: held until they come.
    [record('rb-3', 1, { polls: 1, lastSyncAt: minute(5), syncState: 'c-1' })],
    [
      envelope('mailbox', 'rb-1', 1, provisioned('rb-1')),
      envelope('mailbox', 'rb-2', 1, provisioned('rb-2')),
      envelope('mailbox', 'rb-3', 1, provisioned('rb-3')),
    ],
    [
      record('rb-1', 1, {
        polls: 1,
        lastSyncAt: minute(6),
        lastSyncError: 'timeout',
        consecutiveFailures: 1,
      }),
    ],
    [envelope('mailbox', 'rb-1', 2, mailboxUpdated('rb-1', { name: 'Renamed' }))],
    [record('rb-1', 2, { polls: 2, lastSyncAt: minute(7), syncState: 'c-2' })],
  ];

  it('nothing is written before the flush; after it, the checksum equals a live projection of the same batches', async () => {
    const live = await freshModels();
    const liveVersion = lastVersion;
    const rebuilt = await freshModels();
    const rebuiltVersion = lastVersion;
    deferMailboxWrites(rebuilt);
    for (const batch of batches) {
      await project(live, batch, 0);
      await project(rebuilt, batch, 0);
    }
    expect(await rebuilt.mailboxes.collection.countDocuments({})).toBe(0);
    // A stale document of the version (another writer's, a replay's) is replaced by the newer one.
    await rebuilt.mailboxes.collection.insertOne({ _id: 'rb-2', version: 0, name: 'stale' } as never);
    expect(await flushMailboxes(rebuilt)).toBe(3);
    const stored = (await rebuilt.mailboxes.collection
      .find({})
      .sort({ _id: 1 })
      .toArray()) as unknown as MailboxDocument[];
    expect(stored.map((d) => [d._id, d.version, d.name, d.lastSyncAt, d.sync?.syncState ?? null])).toEqual([
      ['rb-1', 2, 'Renamed', minute(7), 'c-2'],
      ['rb-2', 1, 'Ann Smith', null, null],
      ['rb-3', 1, 'Ann Smith', minute(5), 'c-1'],
    ]);
    expect(await readModels.checksum(rebuiltVersion)).toEqual(await readModels.checksum(liveVersion));
    // Flushed: the next batch writes at once.
    await project(rebuilt, [envelope('mailbox', 'rb-2', 2, mailboxUpdated('rb-2', { name: 'Later' }))], 0);
    expect(await rebuilt.mailboxes.collection.findOne({ _id: 'rb-2' as never })).toMatchObject({
      version: 2,
      name: 'Later',
    });
  });
});

describe('projector: bulk jobs (projection/projector.ts applyJob)', () => {
  let models: VersionedModels;

  beforeAll(async () => {
    models = await freshModels();
  });

  it('upsert with nulls, then $set + $inc guarded by version, results by insertMany ordered:false; replays count once', async () => {
    const started = envelope('job', 'job-1', 1, {
      type: 'BulkJobStarted',
      data: {
        jobId: 'job-1',
        jobType: 'ApproveEmail',
        mailboxIds: ['m-1', 'm-2', 'm-3'],
        parameters: { type: 'ApproveEmail' },
        startedAt: minute(1),
        requestedBy: 'u-admin',
      },
    });
    const items = envelope('job', 'job-1', 2, {
      type: 'BulkJobItemsCompleted',
      data: {
        jobId: 'job-1',
        results: [
          { mailboxId: 'm-1', outcome: 'Done' },
          { mailboxId: 'm-2', outcome: 'Refused', reason: 'not approved' },
        ],
      },
    });
    const more = envelope('job', 'job-1', 3, {
      type: 'BulkJobItemsCompleted',
      data: { jobId: 'job-1', results: [{ mailboxId: 'm-3', outcome: 'Done' }] },
    });
    const completed = envelope('job', 'job-1', 4, {
      type: 'BulkJobCompleted',
      data: { jobId: 'job-1', status: 'Completed', completedAt: minute(4), failure: null },
    });
    await project(models, [started, items]);
    expect(await models.jobs.findById('job-1').lean<JobDocument>().exec()).toEqual({
      _id: 'job-1',
      type: 'ApproveEmail',
      status: 'Running',
      total: 3,
      done: 2,
      refused: 1,
      startedAt: minute(1),
      completedAt: null,
      failure: null,
      requestedBy: 'u-admin',
      version: 2,
    });
    await project(models, [started, items, more, completed]);
    await project(models, [items, more]);
    expect(await models.jobs.findById('job-1').lean<JobDocument>().exec()).toMatchObject({
      status: 'Completed',
      done: 3,
      refused: 1,
      completedAt: minute(4),
      failure: null,
      version: 4,
    });
    const results = await models.jobResults
      .find({ jobId: 'job-1' })
      .sort({ _id: 1 })
      .lean<JobResultDocument[]>()
      .exec();
    expect(results).toEqual([
      { _id: 'job-1:m-1', jobId: 'job-1', mailboxId: 'm-1', outcome: 'Done', reason: null },
      { _id: 'job-1:m-2', jobId: 'job-1', mailboxId: 'm-2', outcome: 'Refused', reason: 'not approved' },
      { _id: 'job-1:m-3', jobId: 'job-1', mailboxId: 'm-3', outcome: 'Done', reason: null },
    ]);
  });
});

describe('projector: email activities and tracking ledger (activities/activity.projection.ts)', () => {
  let models: VersionedModels;
  const activity = (id: string) => models.emailActivities.findById(id).lean<EmailActivityDocument>().exec();
  const ledger = (id: string) => models.trackingLedger.findById(id).lean<TrackingLedgerDocument>().exec();

  beforeAll(async () => {
    models = await freshModels();
  });

  it('incoming: insertOne of the activity and its ledger entry; a redelivery meets E11000 and changes nothing', async () => {
    const first = envelope('activity', 'act-1', 1, tracked('act-1', 'mb-1', minute(10), minute(11)));
    await project(models, [first]);
    await project(models, [first]);
    expect(await activity('act-1')).toMatchObject({
      _id: 'act-1',
      direction: 'Incoming',
      status: 'Tracked',
      to: ['ann@contoso.test', 'bob@contoso.test'],
      cc: [],
      queuedAt: null,
      sortAt: minute(10),
      version: 1,
    });
    expect(await ledger('act-1')).toEqual({
      _id: 'act-1',
      activityId: 'act-1',
      mailboxId: 'mb-1',
      exchangeItemId: 'ex-act-1',
      internetMessageId: '<act-1@fabrikam.test>',
      outcome: 'Tracked',
      reason: 'tracked as an email activity',
      at: minute(11),
      version: 1,
      tracked: true,
      trackedAt: minute(11),
      firstSeenAt: minute(11),
      seen: 1,
      history: [{ outcome: 'Tracked', reason: 'tracked as an email activity', at: minute(11) }],
    });
  });

  it('a later sighting: $set + $inc + $push of a subdocument, guarded by {version: {$lt}}; replays apply once', async () => {
    const again = envelope('activity', 'act-1', 2, outcome('act-1', 'mb-1', 'Duplicate', minute(15)));
    const later = envelope('activity', 'act-1', 3, outcome('act-1', 'mb-1', 'Duplicate', minute(16)));
    await project(models, [again]);
    await project(models, [again, later]);
    await project(models, [later]);
    expect(await ledger('act-1')).toMatchObject({
      outcome: 'Duplicate',
      reason: 'already tracked',
      at: minute(16),
      tracked: true,
      trackedAt: minute(11),
      firstSeenAt: minute(11),
      seen: 3,
      version: 3,
      history: [
        { outcome: 'Tracked', reason: 'tracked as an email activity', at: minute(11) },
        { outcome: 'Duplicate', reason: 'already tracked', at: minute(15) },
        { outcome: 'Duplicate', reason: 'already tracked', at: minute(16) },
      ],
    });
    // The activity itself does not change when its message is seen again.
    expect(await activity('act-1')).toMatchObject({ version: 1, status: 'Tracked' });
  });

  it('outgoing: insert, then $set guarded by {version: {$lt}} through claim, failure and send; a replayed failure is ignored', async () => {
    const events = [
      envelope('activity', 'out-1', 1, queued('out-1', 'mb-1', minute(20))),
      envelope('activity', 'out-1', 2, {
        type: 'OutgoingEmailSendClaimed',
        data: {
          activityId: 'out-1',
          attempt: 1,
          claimant: 'w-1',
          claimedAt: minute(21),
          claimUntil: minute(22),
        },
      }),
      envelope('activity', 'out-1', 3, {
        type: 'OutgoingEmailSendFailed',
        data: {
          activityId: 'out-1',
          attempt: 1,
          reason: 'ErrorServerBusy',
          transient: true,
          failedAt: minute(22),
          nextAttemptAt: minute(25),
          retriesExhausted: false,
        },
      }),
      envelope('activity', 'out-1', 4, {
        type: 'OutgoingEmailSent',
        data: {
          activityId: 'out-1',
          attempt: 2,
          exchangeItemId: 'ex-out-1',
          internetMessageId: '<out-1@contoso.test>',
          sentAt: minute(26),
        },
      }),
    ];
    await project(models, events.slice(0, 3));
    expect(await activity('out-1')).toMatchObject({
      status: 'PendingSend',
      attempt: 1,
      nextAttemptAt: minute(25),
      failureReason: 'ErrorServerBusy',
      version: 3,
    });
    await project(models, events);
    await project(models, [events[2]!]);
    expect(await activity('out-1')).toMatchObject({
      direction: 'Outgoing',
      status: 'Sent',
      attempt: 2,
      nextAttemptAt: null,
      failureReason: null,
      exchangeItemId: 'ex-out-1',
      sentAt: minute(26),
      sortAt: minute(20),
      version: 4,
    });
  });
});

describe('projector: alerts (alerts/alert.projection.ts applyMailboxAlerts, applyAlertDismissals)', () => {
  let models: VersionedModels;
  const alertsOf = (mailboxId: string) =>
    models.alerts.find({ mailboxId }).sort({ audience: 1 }).lean<AlertDocument[]>().exec();

  beforeAll(async () => {
    models = await freshModels();
  });

  it('new alerts and failures by insertMany; repeats by updateOne {_id, lastSequence} + $set/$inc; replays count once', async () => {
    await project(models, [
      envelope('mailbox', 'al-1', 1, provisioned('al-1', { serverProfileId: 'p-a' })),
      envelope('mailbox', 'al-1', 2, syncFailed('al-1', 1, minute(2))),
    ]);
    const first = await alertsOf('al-1');
    expect(first.map((a) => [a.audience, a.userId, a.count, a.lastSequence])).toEqual([
      ['MailboxOwner', 'u-ann', 1, 2],
      ['ProfileOwner', null, 1, 2],
    ]);
    const repeat = envelope('mailbox', 'al-1', 3, syncFailed('al-1', 2, minute(3)));
    await project(models, [repeat]);
    await project(models, [repeat]);
    const alerts = await alertsOf('al-1');
    expect(alerts.map((a) => a._id)).toEqual(first.map((a) => a._id));
    for (const a of alerts)
      expect(a).toMatchObject({
        profileId: 'p-a',
        level: 'Warning',
        firstSeenAt: minute(2),
        lastSeenAt: minute(3),
        count: 2,
        lastSequence: 3,
      });
    expect(
      await models.profileFailures.find({ profileId: 'p-a' }).lean<ProfileFailureDocument[]>().exec(),
    ).toEqual([
      {
        _id: `p-a:${hourOf(minute(2))}:al-1`,
        profileId: 'p-a',
        mailboxId: 'al-1',
        hour: hourOf(minute(2)),
        firstAt: minute(2),
        lastAt: minute(3),
        lastSequence: 3,
      },
    ]);
  });

  it('subjects are replaced by deleteMany {_id: {$in}} + insertMany; a null profile is stored as null', async () => {
    expect(await models.alertSubjects.findById('al-1').lean<AlertSubjectDocument>().exec()).toEqual({
      _id: 'al-1',
      ownerId: 'u-ann',
      profileId: 'p-a',
      name: 'Ann Smith',
      emailAddress: 'Ann.Smith@Contoso.test',
      active: true,
      version: 1,
    });
    await project(models, [
      envelope('mailbox', 'al-1', 4, { type: 'MailboxDeactivated', data: { mailboxId: 'al-1' } }),
      envelope('mailbox', 'al-2', 1, provisioned('al-2', { serverProfileId: null, ownerId: 'u-bob' })),
      envelope('mailbox', 'al-2', 2, syncFailed('al-2', 1, minute(2))),
    ]);
    expect(await models.alertSubjects.findById('al-1').lean<AlertSubjectDocument>().exec()).toMatchObject({
      active: false,
      version: 4,
    });
    const noProfile = await models.alertSubjects
      .find({ profileId: null })
      .lean<AlertSubjectDocument[]>()
      .exec();
    expect(noProfile.map((s) => s._id)).toEqual(['al-2']);
    // Without a profile: the mailbox owner's alert only, and no profile failure.
    expect((await alertsOf('al-2')).map((a) => [a.audience, a.profileId])).toEqual([['MailboxOwner', null]]);
    expect(await models.profileFailures.countDocuments({ mailboxId: 'al-2' }).exec()).toBe(0);
  });

  it('dismissals: upsert guarded by {version: {$lt}}; an older one replayed changes nothing', async () => {
    const dismissed = (sequence: number, through: string) =>
      envelope('alert', 'a-dismissed', sequence, {
        type: 'AlertDismissed',
        data: { alertId: 'a-dismissed', userId: 'u-ann', through, dismissedAt: through },
      });
    await project(models, [dismissed(1, minute(10))]);
    await project(models, [dismissed(2, minute(20))]);
    await project(models, [dismissed(1, minute(10))]);
    expect(
      await models.alertDismissals.findById('a-dismissed').lean<AlertDismissalDocument>().exec(),
    ).toEqual({
      _id: 'a-dismissed',
      userId: 'u-ann',
      through: minute(20),
      dismissedAt: minute(20),
      version: 2,
    });
    // What the dismiss request waits for: the alert as seen up to its lastSeenAt is covered.
    expect(await isAlertDismissed(models, 'a-dismissed', minute(20))).toBe(true);
    expect(await isAlertDismissed(models, 'a-dismissed', minute(21))).toBe(false);
    expect(await isAlertDismissed(models, 'a-unknown', minute(1))).toBe(false);
  });
});

describe('alert wall (alerts/alert-wall.ts readAlertWall)', () => {
  let models: VersionedModels;
  const hour = hourOf(minute(0));
  const subject = (
    _id: string,
    ownerId: string,
    profileId: string | null,
    active: boolean,
  ): AlertSubjectDocument => ({ _id, ownerId, profileId, name: _id, emailAddress: null, active, version: 1 });
  const alert = (
    _id: string,
    audience: AlertDocument['audience'],
    over: Partial<AlertDocument>,
  ): AlertDocument => ({
    _id,
    audience,
    userId: null,
    level: 'Warning',
    message: `message ${_id}`,
    mailboxId: 'w-1',
    profileId: 'wp-1',
    firstSeenAt: minute(1),
    lastSeenAt: minute(1),
    count: 1,
    lastSequence: 1,
    ...over,
  });
  const failure = (profileId: string, mailboxId: string, at: string): ProfileFailureDocument => ({
    _id: `${profileId}:${hourOf(at)}:${mailboxId}`,
    profileId,
    mailboxId,
    hour: hourOf(at),
    firstAt: at,
    lastAt: at,
    lastSequence: 2,
  });

  beforeAll(async () => {
    models = await freshModels();
    await models.profiles.collection.insertMany([
      {
        _id: 'wp-1',
        id: 'wp-1',
        name: 'Contoso',
        nameLower: 'contoso',
        ownerId: 'u-owner',
        status: 'Active',
      },
      {
        _id: 'wp-2',
        id: 'wp-2',
        name: 'Fabrikam',
        nameLower: 'fabrikam',
        ownerId: 'u-other',
        status: 'Active',
      },
    ] as never[]);
    await models.alertSubjects.collection.insertMany([
      subject('w-1', 'u-ann', 'wp-1', true),
      subject('w-2', 'u-bob', 'wp-1', true),
      subject('w-3', 'u-ann', 'wp-1', true),
      subject('w-4', 'u-ann', null, true),
      subject('w-5', 'u-ann', 'wp-3', false),
      subject('w-6', 'u-ann', 'wp-2', true),
      // Written before the field existed: a missing profileId must not count as "on a profile" either.
      { _id: 'w-7', ownerId: 'u-ann', name: 'w-7', emailAddress: null, active: true, version: 1 },
    ] as never[]);
    await models.profileFailures.collection.insertMany([
      failure('wp-1', 'w-1', minute(5)),
      failure('wp-1', 'w-2', minute(7)),
      failure('wp-2', 'w-6', minute(6)),
      failure('wp-2', 'w-6', minute(-60)),
    ] as never[]);
    await models.alerts.collection.insertMany([
      alert('a-1', 'MailboxOwner', { userId: 'u-ann', lastSeenAt: minute(3) }),
      alert('a-2', 'MailboxOwner', { userId: 'u-ann', lastSeenAt: minute(5) }),
      alert('a-3', 'MailboxOwner', { userId: 'u-ann', lastSeenAt: minute(5), mailboxId: 'w-3' }),
      alert('a-4', 'MailboxOwner', { userId: 'u-bob', lastSeenAt: minute(8), mailboxId: 'w-2' }),
      alert('b-1', 'ProfileOwner', { lastSeenAt: minute(8), mailboxId: 'w-2' }),
      alert('b-2', 'ProfileOwner', { lastSeenAt: minute(4), profileId: 'wp-2', mailboxId: 'w-6' }),
    ] as never[]);
    await models.alertDismissals.collection.insertMany([
      { _id: 'a-1', userId: 'u-ann', through: minute(2), dismissedAt: minute(2), version: 1 },
      { _id: 'a-2', userId: 'u-ann', through: minute(5), dismissedAt: minute(6), version: 1 },
    ] as never[]);
  });

  it('find {audience, userId} sorted {lastSeenAt: -1, _id: -1} with a limit: newest first, ties by id descending', async () => {
    const docs = await models.alerts
      .find({ audience: 'MailboxOwner', userId: 'u-ann' })
      .sort({ lastSeenAt: -1, _id: -1 })
      .limit(2)
      .lean<AlertDocument[]>()
      .exec();
    expect(docs.map((d) => d._id)).toEqual(['a-3', 'a-2']);
  });

  it('find {ownerId, active: true, profileId: {$ne: null}} with projection {profileId: 1}: null and missing excluded', async () => {
    const docs = await models.alertSubjects
      .find({ ownerId: 'u-ann', active: true, profileId: { $ne: null } }, { profileId: 1 })
      .sort({ _id: 1 })
      .lean<{ _id: string; profileId: string }[]>()
      .exec();
    expect(docs).toEqual([
      { _id: 'w-1', profileId: 'wp-1' },
      { _id: 'w-3', profileId: 'wp-1' },
      { _id: 'w-6', profileId: 'wp-2' },
    ]);
  });

  it('find {_id: {$in}} with projection {_id: 1, name: 1}, and {$in: []} matching nothing', async () => {
    const docs = await models.profiles
      .find({ _id: { $in: ['wp-2', 'wp-9'] } }, { _id: 1, name: 1 })
      .lean<Pick<ProfileDocument, '_id' | 'name'>[]>()
      .exec();
    expect(docs).toEqual([{ _id: 'wp-2', name: 'Fabrikam' }]);
    expect(
      await models.alertDismissals
        .find({ _id: { $in: [] } })
        .lean()
        .exec(),
    ).toEqual([]);
  });

  it('countDocuments {profileId, active: true}; failures sorted {hour: -1}', async () => {
    expect(await models.alertSubjects.countDocuments({ profileId: 'wp-1', active: true }).exec()).toBe(3);
    const failures = await models.profileFailures
      .find({ profileId: 'wp-2' })
      .sort({ hour: -1 })
      .limit(20000)
      .lean<ProfileFailureDocument[]>()
      .exec();
    expect(failures.map((f) => f.hour)).toEqual([hour, hourOf(minute(-60))]);
  });

  it("a mailbox owner's wall: own alerts, profile-wide alerts of the profiles their mailboxes are on, dismissals", async () => {
    const wall = await readAlertWall(models, 'u-ann');
    expect(wall.map((a) => [a.id, a.dismissed])).toEqual([
      [alertId(['ProfileWide', 'wp-1', 'u-ann']), false],
      [alertId(['ProfileWide', 'wp-2', 'u-ann']), false],
      ['a-3', false],
      ['a-2', true],
      ['a-1', false],
    ]);
    expect(wall[0]).toMatchObject({
      level: 'Error',
      firstSeenAt: minute(5),
      lastSeenAt: minute(7),
      count: 1,
    });
    // Two hours met the condition on wp-2 (one mailbox of one active): one alert counting both.
    expect(wall[1]).toMatchObject({ firstSeenAt: minute(-60), lastSeenAt: minute(6), count: 2 });
  });

  it("a profile owner's wall: the profile-wide alert and the ProfileOwner alerts of the profile ({$in} on profileId)", async () => {
    const wall = await readAlertWall(models, 'u-owner');
    expect(wall.map((a) => a.id)).toEqual(['b-1', alertId(['ProfileWide', 'wp-1', 'u-owner'])]);
    expect(await readAlertWall(models, 'u-nobody')).toEqual([]);
  });
});

describe('query side: profiles (apps/api/src/profiles/profile.queries.ts)', () => {
  let models: VersionedModels;
  let list: ListProfilesHandler;
  let get: GetProfileHandler;
  const names: [string, string, string][] = [
    ['pq-07', 'Contoso', 'u-1'],
    ['pq-03', 'contoso', 'u-2'],
    ['pq-05', 'Alpha.Beta', 'u-1'],
    ['pq-01', 'AlphaXBeta', 'u-1'],
    ['pq-02', 'Zeta (EU)', 'u-2'],
    ['pq-06', 'zeta (eu)', 'u-1'],
    ['pq-04', 'Mid $1^', 'u-2'],
  ];
  const order = (ids: string[]): string[] => {
    const key = new Map(names.map(([id, name]) => [id, name.toLowerCase()]));
    return [...ids].sort((a, b) =>
      key.get(a)! !== key.get(b)! ? (key.get(a)! < key.get(b)! ? -1 : 1) : a < b ? -1 : 1,
    );
  };
  const pages = async (query: Omit<ListProfiles['query'], 'cursor' | 'limit'>, limit: number) => {
    const out: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await list.execute(
        new ListProfiles({ ...query, limit, ...(cursor ? { cursor } : {}) }),
      );
      out.push(page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor !== null && out.length < 20);
    return out;
  };

  beforeAll(async () => {
    models = await freshModels();
    const pointer = await ensurePointer(conn, ns.prefix);
    await switchPointer(conn, pointer.version, {
      _id: 'main',
      version: models.version,
      groupId: newGroupId(ns.prefix, models.version),
      switchedAt: minute(0),
    });
    const active = new ActiveVersion(conn, 0);
    list = new ListProfilesHandler(readModels, active);
    get = new GetProfileHandler(readModels, active);
    await project(
      models,
      names.map(([id, name, ownerId]) => envelope('profile', id, 1, profileCreated(id, { name, ownerId }))),
    );
    await project(models, [
      envelope('profile', 'pq-06', 2, {
        type: 'ProfileDeactivated',
        data: { profileId: 'pq-06', reassignMailboxesTo: null },
      }),
    ]);
  });

  it('findById: the view, or 404', async () => {
    expect(await get.execute(new GetProfile('pq-05', 1))).toMatchObject({ id: 'pq-05', name: 'Alpha.Beta' });
    await expect(get.execute(new GetProfile('pq-99'))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('pages by {nameLower, _id} ascending through the $or cursor ($gt, or equal and _id $gt): every profile once, in order', async () => {
    const all = await pages({}, 2);
    expect(all.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(all.flat()).toEqual(order(names.map(([id]) => id)));
  });

  it('filters by status and owner alongside the cursor', async () => {
    expect((await pages({ status: 'Active', ownerId: 'u-1' }, 1)).flat()).toEqual(
      order(['pq-07', 'pq-05', 'pq-01']),
    );
    expect((await pages({ status: 'Inactive' }, 5)).flat()).toEqual(['pq-06']);
  });

  it('q is an escaped $regex on nameLower: metacharacters match literally, case-insensitively', async () => {
    expect((await pages({ q: 'ALPHA.b' }, 5)).flat()).toEqual(['pq-05']);
    expect((await pages({ q: '(eu)' }, 5)).flat()).toEqual(order(['pq-02', 'pq-06']));
    expect((await pages({ q: '$1^' }, 5)).flat()).toEqual(['pq-04']);
    expect((await pages({ q: 'contoso', status: 'Active' }, 1)).flat()).toEqual(order(['pq-07', 'pq-03']));
  });
});

describe('query side: email activities, ledger and latency (apps/api/src/activities/activity.queries.ts)', () => {
  let models: VersionedModels;
  let list: ListEmailActivitiesHandler;
  let get: GetEmailActivityHandler;
  let ledger: GetMailboxLedgerHandler;
  let latency: GetTrackingLatencyHandler;
  // The existence check goes to the in-memory mailbox directory (fed from Kafka), which is not under test here.
  const directory = {
    get: (id: string) => Promise.resolve(id === 'mb-1' || id === 'mb-2' ? { id } : null),
  } as unknown as MailboxDirectory;
  const seeds: { id: string; mailboxId: string; sortAt: string; direction: string; status: string }[] = [];
  const newestFirst = (ids: string[], at: (id: string) => string): string[] =>
    [...ids].sort((a, b) => (at(a) !== at(b) ? (at(a) < at(b) ? 1 : -1) : a < b ? 1 : -1));
  const sortAt = (id: string) => seeds.find((s) => s.id === id)!.sortAt;
  async function pagesOf<T>(
    page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  ): Promise<T[][]> {
    const out: T[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await page(cursor);
      out.push(res.items);
      if (res.nextCursor === null || out.length >= 20) return out;
      cursor = res.nextCursor;
    }
  }

  beforeAll(async () => {
    models = await freshModels();
    const pointer = await ensurePointer(conn, ns.prefix);
    await switchPointer(conn, pointer.version, {
      _id: 'main',
      version: models.version,
      groupId: newGroupId(ns.prefix, models.version),
      switchedAt: minute(0),
    });
    const active = new ActiveVersion(conn, 0);
    list = new ListEmailActivitiesHandler(readModels, active);
    get = new GetEmailActivityHandler(readModels, active);
    ledger = new GetMailboxLedgerHandler(readModels, active, directory);
    latency = new GetTrackingLatencyHandler(readModels, active, directory);
    // Ties on sortAt on purpose: the cursor must break them by _id.
    const incoming: [string, string, number, number][] = [
      ['a-01', 'mb-1', 10, 11],
      ['a-02', 'mb-1', 20, 21],
      ['a-03', 'mb-1', 20, 21],
      ['a-04', 'mb-1', 20, 21],
      ['a-05', 'mb-1', 30, 33],
      ['a-06', 'mb-2', 20, 22],
    ];
    const events: EventEnvelope[] = [];
    for (const [id, mailboxId, received, trackedAt] of incoming) {
      events.push(envelope('activity', id, 1, tracked(id, mailboxId, minute(received), minute(trackedAt))));
      seeds.push({ id, mailboxId, sortAt: minute(received), direction: 'Incoming', status: 'Tracked' });
    }
    events.push(envelope('activity', 'o-01', 1, queued('o-01', 'mb-1', minute(25))));
    seeds.push({
      id: 'o-01',
      mailboxId: 'mb-1',
      sortAt: minute(25),
      direction: 'Outgoing',
      status: 'PendingSend',
    });
    events.push(envelope('activity', 'o-02', 1, queued('o-02', 'mb-2', minute(20))));
    events.push(
      envelope('activity', 'o-02', 2, {
        type: 'OutgoingEmailSent',
        data: {
          activityId: 'o-02',
          attempt: 1,
          exchangeItemId: null,
          internetMessageId: null,
          sentAt: minute(21),
        },
      }),
    );
    seeds.push({ id: 'o-02', mailboxId: 'mb-2', sortAt: minute(20), direction: 'Outgoing', status: 'Sent' });
    // Ledger only: a message skipped by a rule, and a duplicate sighting that moves a-02 to the top.
    events.push(envelope('activity', 'a-09', 1, outcome('a-09', 'mb-1', 'SkippedByRule', minute(40))));
    events.push(envelope('activity', 'a-02', 2, outcome('a-02', 'mb-1', 'Duplicate', minute(45))));
    await project(models, events);
  });

  it('findById: the view, or 404', async () => {
    expect(await get.execute(new GetEmailActivity('o-02', 2))).toMatchObject({ id: 'o-02', status: 'Sent' });
    await expect(get.execute(new GetEmailActivity('a-99'))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('no filter: {} then the $or cursor alone ($lt, or equal and _id $lt), sorted {sortAt: -1, _id: -1}', async () => {
    const all = await pagesOf((cursor) =>
      list.execute(new ListEmailActivities({ limit: 3, ...(cursor ? { cursor } : {}) })),
    );
    expect(all.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(all.flat().map((a) => a.id)).toEqual(
      newestFirst(
        seeds.map((s) => s.id),
        sortAt,
      ),
    );
  });

  it('every filter: {$and: [mailboxId, direction, status, $or cursor]}', async () => {
    const all = await pagesOf((cursor) =>
      list.execute(
        new ListEmailActivities({
          mailboxId: 'mb-1',
          direction: 'Incoming',
          status: 'Tracked',
          limit: 2,
          ...(cursor ? { cursor } : {}),
        }),
      ),
    );
    expect(all.flat().map((a) => a.id)).toEqual(['a-05', 'a-04', 'a-03', 'a-02', 'a-01']);
    const sent = await list.execute(new ListEmailActivities({ status: 'Sent' }));
    expect(sent).toEqual({ items: [expect.objectContaining({ id: 'o-02' })], nextCursor: null });
  });

  it('ledger: {$and: [mailboxId, outcome | internetMessageId, $or cursor]} sorted {at: -1, _id: -1}', async () => {
    const all = await pagesOf((cursor) =>
      ledger.execute(new GetMailboxLedger('mb-1', { limit: 2, ...(cursor ? { cursor } : {}) })),
    );
    expect(all.flat().map((e) => [e.activityId, e.outcome])).toEqual([
      ['a-02', 'Duplicate'],
      ['a-09', 'SkippedByRule'],
      ['a-05', 'Tracked'],
      ['a-04', 'Tracked'],
      ['a-03', 'Tracked'],
      ['a-01', 'Tracked'],
    ]);
    const trackedOnly = await pagesOf((cursor) =>
      ledger.execute(
        new GetMailboxLedger('mb-1', { outcome: 'Tracked', limit: 3, ...(cursor ? { cursor } : {}) }),
      ),
    );
    expect(trackedOnly.flat().map((e) => e.activityId)).toEqual(['a-05', 'a-04', 'a-03', 'a-01']);
    const one = await ledger.execute(
      new GetMailboxLedger('mb-1', { internetMessageId: '<a-03@fabrikam.test>' }),
    );
    expect(one.items.map((e) => e.activityId)).toEqual(['a-03']);
  });

  it('latency: {mailboxId, direction, status, sortAt: {$gte}} with projection {receivedAt, trackedAt}', async () => {
    // The window starts at minute 15: a-01 (received at minute 10) is out.
    const now = new Date(T0 + 15 * 60_000 + 3_600_000);
    expect(await latency.execute(new GetTrackingLatency('mb-1', 1, now))).toMatchObject({
      mailboxId: 'mb-1',
      since: minute(15),
      count: 4,
      p50Ms: 60_000,
      p95Ms: 180_000,
      maxMs: 180_000,
      lastTrackedAt: minute(33),
    });
    const projected = await models.emailActivities
      .find(
        { mailboxId: 'mb-1', direction: 'Incoming', status: 'Tracked', sortAt: { $gte: minute(15) } },
        {
          receivedAt: 1,
          trackedAt: 1,
        },
      )
      .sort({ sortAt: -1, _id: -1 })
      .limit(10_000)
      .lean<Record<string, unknown>[]>()
      .exec();
    expect(projected.map((d) => Object.keys(d).sort())).toEqual(
      Array.from({ length: 4 }, () => ['_id', 'receivedAt', 'trackedAt']),
    );
  });
});

describe('health (apps/api/src/health/health.controller.ts)', () => {
  it('answers the ping command', async () => {
    expect(await conn.db!.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});

describe('lease limiter (libs/coordination/src/lease-limiter.ts MongoLeaseLimiter)', () => {
  // Two clients stand for two sync workers; the clock is the limiter's own option, so nothing waits.
  let a: MongoClient;
  let b: MongoClient;
  let clock = 1_000_000;
  const now = () => clock;
  const slots = () =>
    a
      .db()
      .collection<{ _id: string; key: string; index: number; holder: string | null; expiresAt: number }>(
        'connection_slots',
      );

  beforeAll(async () => {
    a = await MongoClient.connect(ns.mongoUri);
    b = await MongoClient.connect(ns.mongoUri);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('ensureIndexes creates {key: 1}, and again without error (each worker runs it at start)', async () => {
    await new MongoLeaseLimiter(a.db(), { now }).ensureIndexes();
    await new MongoLeaseLimiter(b.db(), { now }).ensureIndexes();
    const keys = (await slots().indexes()).map((i) => i.key);
    expect(keys).toContainEqual({ key: 1 });
  });

  it('the unique _id of a slot refuses a second holder with E11000 (what tryLease takes as "taken")', async () => {
    const doc = { _id: 'raw#0', key: 'raw', index: 0, holder: 'x', expiresAt: clock + 1000 };
    await slots().insertOne(doc);
    const error = await rejection(slots().insertOne({ ...doc, holder: 'y' }));
    expect(error).toMatchObject({ code: 11000 });
    expect((error as Error).message).toMatch(/E11000|duplicate key/i);
    await slots().deleteOne({ _id: 'raw#0' });
  });

  it('concurrent tryLease from two workers grants exactly the limit: find with projection + unique inserts', async () => {
    const workers = [new MongoLeaseLimiter(a.db(), { now }), new MongoLeaseLimiter(b.db(), { now })];
    const leases = await Promise.all(
      Array.from({ length: 6 }, (_, i) => workers[i % 2]!.tryLease('profile:p1', 3, 10_000)),
    );
    const granted = leases.filter((l): l is MongoLease => l !== null);
    expect(granted).toHaveLength(3);
    expect(new Set(granted.map((l) => l.id))).toEqual(
      new Set(['profile:p1#0', 'profile:p1#1', 'profile:p1#2']),
    );
    expect(await workers[0]!.inUse('profile:p1')).toBe(3);
    expect(await workers[1]!.tryLease('profile:p1', 3, 10_000)).toBeNull();
    for (const l of granted) await l.release();
    expect(await workers[1]!.inUse('profile:p1')).toBe(0);
  });

  it('renew is an updateOne {_id, holder, expiresAt: {$gt: now}} + $set: it extends a live lease and misses a lapsed one', async () => {
    const limiter = new MongoLeaseLimiter(a.db(), { now });
    const lease = (await limiter.tryLease('mailbox:m1', 1, 1000))!;
    expect(lease).not.toBeNull();
    clock += 500;
    expect(await lease.renew(2000)).toBe(clock + 2000);
    expect(await slots().findOne({ _id: lease.id })).toMatchObject({ expiresAt: clock + 2000 });
    clock += 2000;
    expect(await lease.renew(2000)).toBe(false);
    await lease.release();
  });

  it('inUse counts only unexpired leases (countDocuments {key, expiresAt: {$gt}})', async () => {
    const limiter = new MongoLeaseLimiter(a.db(), { now });
    const short = (await limiter.tryLease('mailbox:m2', 2, 100))!;
    const long = (await limiter.tryLease('mailbox:m2', 2, 10_000))!;
    expect(await limiter.inUse('mailbox:m2')).toBe(2);
    clock += 100;
    expect(await limiter.inUse('mailbox:m2')).toBe(1);
    await short.release();
    await long.release();
  });

  it("a lapsed lease is reclaimed once across workers (unique marker, deleteOne {_id, holder, expiresAt}); the old holder's release frees nothing", async () => {
    const crashed = (await new MongoLeaseLimiter(a.db(), { now }).tryLease('mailbox:m3', 1, 1000))!;
    clock += 1000;
    const workers = [new MongoLeaseLimiter(a.db(), { now }), new MongoLeaseLimiter(b.db(), { now })];
    const leases = await Promise.all(workers.map((w) => w.tryLease('mailbox:m3', 1, 10_000)));
    expect(workers[0]!.ops.reclaims + workers[1]!.ops.reclaims).toBe(1);
    const winner = leases.filter((l): l is MongoLease => l !== null);
    expect(winner).toHaveLength(1);
    await crashed.release();
    expect(await workers[0]!.inUse('mailbox:m3')).toBe(1);
    await winner[0]!.release();
    expect(await workers[0]!.inUse('mailbox:m3')).toBe(0);
  });

  it('pruneReclaims deletes the markers older than the cutoff (deleteMany {at: {$lt}}) and reports how many', async () => {
    const limiter = new MongoLeaseLimiter(a.db(), { now });
    const markers = a.db().collection<{ _id: string; at: number }>('connection_slots_reclaims');
    await markers.insertMany([
      { _id: 'old-1', at: clock - 7_200_000 },
      { _id: 'old-2', at: clock - 3_600_001 },
      { _id: 'recent', at: clock - 10 },
    ]);
    const before = await markers.countDocuments({});
    expect(await limiter.pruneReclaims(3_600_000)).toBe(2);
    expect(await markers.countDocuments({})).toBe(before - 2);
    expect(await markers.findOne({ _id: 'recent' })).not.toBeNull();
  });
});
