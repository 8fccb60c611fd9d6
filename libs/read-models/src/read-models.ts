import { ConnectOptions, Connection, Model } from 'mongoose';
import { canonicalJson, sha256 } from '@ssync/common';
import {
  EmailActivityDocument,
  TrackingLedgerDocument,
  emailActivitySchema,
  trackingLedgerSchema,
} from './activities/activity.schema';
import {
  AlertDismissalDocument,
  AlertDocument,
  AlertSubjectDocument,
  ProfileFailureDocument,
  alertDismissalSchema,
  alertSchema,
  alertSubjectSchema,
  profileFailureSchema,
} from './alerts/alert.schema';
import { ServiceAlertDocument, serviceAlertSchema } from './alerts/service-alert';
import { AuditDocument, auditSchema } from './audit/audit.schema';
import { JobDocument, JobResultDocument, jobResultSchema, jobSchema } from './jobs/job.schema';
import { MailboxDocument, mailboxSchema, withoutPollHeartbeat } from './mailboxes/mailbox.schema';
import {
  OrganizationSettingsDocument,
  organizationSettingsSchema,
} from './organization/organization-settings.schema';
import { ProfileDocument, profileSchema } from './profiles/profile.schema';
import { collectionName } from './projection/versions';

/** Checksum sums are kept to 256 bits, the width of one SHA-256. */
const HASH_SUM_MASK = (1n << 256n) - 1n;

export const READ_MODEL_BASES = [
  'profiles',
  'audit_events',
  'mailboxes',
  'organization_settings',
  'jobs',
  'job_results',
  'email_activities',
  'tracking_ledger',
  'alerts',
  'alert_subjects',
  'alert_profile_failures',
  'alert_dismissals',
  'service_alerts',
] as const;

export interface VersionedModels {
  version: number;
  profiles: Model<ProfileDocument>;
  audit: Model<AuditDocument>;
  mailboxes: Model<MailboxDocument>;
  organizationSettings: Model<OrganizationSettingsDocument>;
  jobs: Model<JobDocument>;
  jobResults: Model<JobResultDocument>;
  emailActivities: Model<EmailActivityDocument>;
  trackingLedger: Model<TrackingLedgerDocument>;
  alerts: Model<AlertDocument>;
  alertSubjects: Model<AlertSubjectDocument>;
  profileFailures: Model<ProfileFailureDocument>;
  alertDismissals: Model<AlertDismissalDocument>;
  serviceAlerts: Model<ServiceAlertDocument>;
}

/** Every model of a version, in the order their indexes are built. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- models of different document types
export function modelsOf(m: VersionedModels): Model<any>[] {
  return [
    m.profiles,
    m.audit,
    m.mailboxes,
    m.organizationSettings,
    m.jobs,
    m.jobResults,
    m.emailActivities,
    m.trackingLedger,
    m.alerts,
    m.alertSubjects,
    m.profileFailures,
    m.alertDismissals,
    m.serviceAlerts,
  ];
}

/**
 * How the apps connect mongoose to the read models' database. `waitMs` bounds how long an operation waits for the
 * server: the API, which answers people, gives up sooner (503) than the projector, which just retries.
 */
export function readModelConnectionOptions(mongo: { maxPoolSize: number }, waitMs = 10000): ConnectOptions {
  return {
    serverSelectionTimeoutMS: waitMs,
    // Operations go to the driver, which waits for a server at most `waitMs`, instead of queueing in mongoose.
    bufferCommands: false,
    maxPoolSize: mongo.maxPoolSize,
    // Indexes are built by ReadModels.ensureIndexes alone: FerretDB v1 may build an index twice when mongoose
    // builds it at the same time (docs/adr/0009).
    autoIndex: false,
  };
}

/** Mongoose models bound to one version's collections. */
export class ReadModels {
  private readonly cache = new Map<number, VersionedModels>();

  constructor(readonly connection: Connection) {}

  at(version: number): VersionedModels {
    let models = this.cache.get(version);
    if (!models) {
      models = {
        version,
        profiles: this.connection.model<ProfileDocument>(
          `Profile_v${version}`,
          profileSchema,
          collectionName('profiles', version),
        ),
        audit: this.connection.model<AuditDocument>(
          `AuditEvent_v${version}`,
          auditSchema,
          collectionName('audit_events', version),
        ),
        mailboxes: this.connection.model<MailboxDocument>(
          `Mailbox_v${version}`,
          mailboxSchema,
          collectionName('mailboxes', version),
        ),
        organizationSettings: this.connection.model<OrganizationSettingsDocument>(
          `OrganizationSettings_v${version}`,
          organizationSettingsSchema,
          collectionName('organization_settings', version),
        ),
        jobs: this.connection.model<JobDocument>(
          `Job_v${version}`,
          jobSchema,
          collectionName('jobs', version),
        ),
        jobResults: this.connection.model<JobResultDocument>(
          `JobResult_v${version}`,
          jobResultSchema,
          collectionName('job_results', version),
        ),
        emailActivities: this.connection.model<EmailActivityDocument>(
          `EmailActivity_v${version}`,
          emailActivitySchema,
          collectionName('email_activities', version),
        ),
        trackingLedger: this.connection.model<TrackingLedgerDocument>(
          `TrackingLedger_v${version}`,
          trackingLedgerSchema,
          collectionName('tracking_ledger', version),
        ),
        alerts: this.connection.model<AlertDocument>(
          `Alert_v${version}`,
          alertSchema,
          collectionName('alerts', version),
        ),
        alertSubjects: this.connection.model<AlertSubjectDocument>(
          `AlertSubject_v${version}`,
          alertSubjectSchema,
          collectionName('alert_subjects', version),
        ),
        profileFailures: this.connection.model<ProfileFailureDocument>(
          `AlertProfileFailure_v${version}`,
          profileFailureSchema,
          collectionName('alert_profile_failures', version),
        ),
        alertDismissals: this.connection.model<AlertDismissalDocument>(
          `AlertDismissal_v${version}`,
          alertDismissalSchema,
          collectionName('alert_dismissals', version),
        ),
        serviceAlerts: this.connection.model<ServiceAlertDocument>(
          `ServiceAlert_v${version}`,
          serviceAlertSchema,
          collectionName('service_alerts', version),
        ),
      };
      this.cache.set(version, models);
    }
    return models;
  }

  async ensureIndexes(version: number): Promise<void> {
    // One after the other: FerretDB serializes DDL anyway. The apps' connections have autoIndex off, so nothing
    // else builds these indexes at the same time (FerretDB v1 may build an index twice then, docs/adr/0009).
    for (const model of modelsOf(this.at(version))) await model.createIndexes();
  }

  async drop(version: number): Promise<void> {
    const db = this.connection.db!;
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const base of READ_MODEL_BASES) {
      const name = collectionName(base, version);
      if (existing.has(name)) await db.dropCollection(name);
    }
  }

  /**
   * A checksum over every read model of a version: per collection, the sum modulo 2^256 of each document's hash
   * (its `_id` and its content, keys sorted), so the order the server returns them in does not matter and nothing
   * is held but the sums; then the collections' sums in a fixed order. Two versions built from the same log have
   * the same checksum. Every collection is read at once: the server decodes one while this process hashes another
   * (FerretDB v1 sorts in memory, and sorting a collection of email bodies cost more than the replay itself).
   */
  async checksum(version: number): Promise<{ checksum: string; documents: number }> {
    const db = this.connection.db!;
    const perBase = await Promise.all(
      READ_MODEL_BASES.map(async (base) => {
        let sum = 0n;
        let documents = 0;
        // A mailbox's poll heartbeat is written lazily (docs/adr/0010, addendum): not compared.
        const compared = base === 'mailboxes' ? withoutPollHeartbeat : (doc: object) => doc;
        for await (const doc of db.collection(collectionName(base, version)).find({})) {
          const hash = sha256(`${canonicalJson(doc._id)}\n${canonicalJson(compared(doc))}`);
          sum = (sum + BigInt(`0x${hash}`)) & HASH_SUM_MASK;
          documents += 1;
        }
        return { base, sum, documents };
      }),
    );
    const rolled = perBase.map((b) => `${b.base}:${b.documents}:${b.sum.toString(16)}`).join('\n');
    return { checksum: sha256(rolled), documents: perBase.reduce((a, b) => a + b.documents, 0) };
  }
}
