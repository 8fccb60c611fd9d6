import { HttpException, HttpStatus, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  BulkEditPatch,
  BulkItemResult,
  BulkJobParameters,
  BulkJobStatus,
  BulkJobType,
  JobCommand,
  JobState,
  MailboxProfileFacts,
  validateBulkMailboxIds,
} from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { ActiveVersion, JobDocument, JobResultDocument, ReadModels } from '@ssync/read-models';
import { CommandRefused, ValidationFailed, ViolationBody } from '../http/errors';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { MailboxService } from '../mailboxes/mailbox.service';

export interface JobView {
  id: string;
  type: BulkJobType;
  status: BulkJobStatus;
  total: number;
  done: number;
  refused: number;
  startedAt: string;
  completedAt: string | null;
  requestedBy: string;
  failure: string | null;
  results: { mailboxId: string; outcome: BulkItemResult['outcome']; reason?: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 422: the request is well-formed, but names mailboxes that do not exist; nothing was started. */
class UnknownMailboxes extends HttpException {
  constructor(missing: string[]) {
    const violations: ViolationBody[] = [
      {
        field: 'mailboxIds',
        rule: 'exists',
        message: `${missing.length} mailbox id(s) do not exist: ${missing.slice(0, 100).join(', ')}${missing.length > 100 ? ', …' : ''}`,
      },
    ];
    super(
      {
        statusCode: HttpStatus.UNPROCESSABLE_ENTITY,
        error: 'Unprocessable Entity',
        message: violations[0]!.message,
        violations,
        unknownMailboxIds: missing,
      },
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

/**
 * Starting a bulk job (M-3…M-6, P-14). The whole request is validated first — ids, their existence, the
 * profile and settings the job will apply — so a bulk request is either refused as a whole, changing nothing,
 * or recorded (BulkJobStarted) and then carried out mailbox by mailbox with a result for each.
 */
@Injectable()
export class BulkJobsService {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly owners: AggregateOwnerService,
    private readonly mailboxes: MailboxService,
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  private checkIds(ids: unknown[]): string[] {
    const v = validateBulkMailboxIds('mailboxIds', ids);
    if (v.length > 0) throw new ValidationFailed(v);
    return ids as string[];
  }

  private checkProfile(field: string, profileId: string): MailboxProfileFacts {
    const facts = this.mailboxes.profileFacts(profileId);
    if (!facts.exists)
      throw new ValidationFailed([
        { field, rule: 'profileExists', message: `email server profile ${profileId} does not exist` },
      ]);
    if (!facts.active)
      throw new ValidationFailed([
        { field, rule: 'profileActive', message: `email server profile ${profileId} is deactivated` },
      ]);
    return facts;
  }

  /** Every id must name a mailbox; the read model may lag a just-provisioned one by a moment. */
  private async checkExist(ids: string[]): Promise<void> {
    const deadline = Date.now() + 5000;
    let missing = ids;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      const found = new Set<string>();
      for (let i = 0; i < missing.length; i += 1000) {
        const docs = await models.mailboxes.collection
          .find({ _id: { $in: missing.slice(i, i + 1000) as never[] } }, { projection: { _id: 1 } })
          .toArray();
        for (const d of docs) found.add(String(d._id));
      }
      missing = missing.filter((id) => !found.has(id));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new UnknownMailboxes(missing);
      await sleep(200);
    }
  }

  async applyDefaultSettings(actor: string, ids: unknown[], testAndEnable: boolean): Promise<string> {
    const mailboxIds = this.checkIds(ids);
    const org = this.owners.organizationSettings();
    if (org.defaultServerProfileId === null)
      throw new ValidationFailed([
        {
          field: 'defaultServerProfileId',
          rule: 'required',
          message:
            'the organization has no default email server profile; set it with PUT /api/v1/organization/email-settings',
        },
      ]);
    this.checkProfile('defaultServerProfileId', org.defaultServerProfileId);
    await this.checkExist(mailboxIds);
    return this.start(actor, mailboxIds, {
      type: 'ApplyDefaultEmailSettings',
      defaults: {
        defaultServerProfileId: org.defaultServerProfileId,
        incomingEmailDeliveryMethod: org.incomingEmailDeliveryMethod,
        outgoingEmailDeliveryMethod: org.outgoingEmailDeliveryMethod,
        actDeliveryMethod: org.actDeliveryMethod,
      },
      testAndEnable,
    });
  }

  async bulkEdit(actor: string, ids: unknown[], changes: BulkEditPatch): Promise<string> {
    const mailboxIds = this.checkIds(ids);
    const given = Object.fromEntries(
      Object.entries(changes).filter(([, v]) => v !== undefined),
    ) as BulkEditPatch;
    if (Object.keys(given).length === 0)
      throw new ValidationFailed([
        { field: 'changes', rule: 'minProperties', message: 'must change at least one field' },
      ]);
    if (typeof given.serverProfileId === 'string') {
      given.serverProfileId = given.serverProfileId.trim() || null;
      if (given.serverProfileId !== null) this.checkProfile('changes.serverProfileId', given.serverProfileId);
    }
    await this.checkExist(mailboxIds);
    return this.start(actor, mailboxIds, { type: 'BulkEdit', changes: given });
  }

  async simple(
    actor: string,
    ids: unknown[],
    type: 'ApproveEmail' | 'RejectEmail' | 'TestAndEnable',
  ): Promise<string> {
    const mailboxIds = this.checkIds(ids);
    await this.checkExist(mailboxIds);
    return this.start(actor, mailboxIds, { type });
  }

  /** P-14: move a deactivated profile's mailboxes (ids from the read model, so they exist). */
  reassign(actor: string, mailboxIds: string[], fromProfileId: string, toProfileId: string): Promise<string> {
    return this.start(actor, mailboxIds, {
      type: 'ReassignProfile',
      fromProfileId,
      toProfileId,
      testAndEnable: true,
    });
  }

  private async start(actor: string, mailboxIds: string[], parameters: BulkJobParameters): Promise<string> {
    const jobId = randomUUID();
    const command: JobCommand = {
      type: 'StartBulkJob',
      commandId: randomUUID(),
      actor,
      issuedAt: new Date().toISOString(),
      jobId,
      mailboxIds,
      parameters,
    };
    const result = await this.gateway.send<JobCommand, JobState>({
      aggregateType: 'job',
      aggregateId: jobId,
      type: command.type,
      actor,
      command,
      commandId: command.commandId,
      issuedAt: command.issuedAt,
    });
    if (!result.accepted || result.error)
      throw new CommandRefused(result.error ?? { kind: 'malformed', message: 'refused', violations: [] });
    return jobId;
  }

  /** GET /api/v1/jobs/{id}: progress and per-mailbox results, from the read model. */
  async get(jobId: string): Promise<JobView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      const doc = await models.jobs.findById(jobId).lean<JobDocument>().exec();
      if (doc) {
        const results = await models.jobResults
          .find({ jobId })
          .sort({ _id: 1 })
          .lean<JobResultDocument[]>()
          .exec();
        return {
          id: doc._id,
          type: doc.type,
          status: doc.status,
          total: doc.total,
          done: doc.done,
          refused: doc.refused,
          startedAt: doc.startedAt,
          completedAt: doc.completedAt,
          requestedBy: doc.requestedBy,
          failure: doc.failure,
          results: results.map((r) =>
            r.reason === null
              ? { mailboxId: r.mailboxId, outcome: r.outcome }
              : { mailboxId: r.mailboxId, outcome: r.outcome, reason: r.reason },
          ),
        };
      }
      // A job accepted a moment ago may not be projected yet.
      if (Date.now() > deadline || !this.owners.jobStore.get(jobId).version)
        throw new NotFoundException({
          statusCode: 404,
          error: 'Not Found',
          message: `job ${jobId} does not exist`,
        });
      await sleep(50);
    }
  }
}
