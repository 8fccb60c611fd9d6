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
import { CommandRefused, ValidationFailed, ViolationBody, acceptedOrThrow } from '../http/errors';
import { Reach, inReach } from '../http/reach';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { MailboxService } from '../mailboxes/mailbox.service';
import { TestProgress, requestsTests, testProgress } from './test-progress';

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
  results: { mailboxId: string; outcome: BulkItemResult['outcome']; reason?: string }[];
  /** A job that requests tests: how they went so far (null otherwise). */
  tests: TestProgress | null;
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
    private readonly directory: MailboxDirectory,
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

  /**
   * Every id must name a mailbox in the caller's reach (one provisioned a moment ago may take an instant to
   * show); one out of reach is refused as one that names no mailbox.
   */
  private async checkExist(ids: string[], reach: Reach): Promise<void> {
    const missing = await this.directory.unknown(ids, reach);
    if (missing.length > 0) throw new UnknownMailboxes(missing);
  }

  async applyDefaultSettings(
    actor: string,
    ids: unknown[],
    testAndEnable: boolean,
    reach: Reach,
  ): Promise<string> {
    const mailboxIds = this.checkIds(ids);
    const org = this.owners.organizationSettings();
    // The organization's state, not the request's shape: 409, as any refusal in the current state.
    if (org.defaultServerProfileId === null) {
      const message =
        'the organization has no default email server profile; set it with PUT /api/v1/organization/email-settings';
      throw new CommandRefused({
        kind: 'conflict',
        message,
        violations: [{ field: 'defaultServerProfileId', rule: 'required', message }],
      });
    }
    this.checkProfile('defaultServerProfileId', org.defaultServerProfileId);
    await this.checkExist(mailboxIds, reach);
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

  async bulkEdit(actor: string, ids: unknown[], changes: BulkEditPatch, reach: Reach): Promise<string> {
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
    await this.checkExist(mailboxIds, reach);
    return this.start(actor, mailboxIds, { type: 'BulkEdit', changes: given });
  }

  async simple(
    actor: string,
    ids: unknown[],
    type: 'ApproveEmail' | 'RejectEmail' | 'TestAndEnable' | 'DeactivateMailboxes',
    reach: Reach,
  ): Promise<string> {
    const mailboxIds = this.checkIds(ids);
    await this.checkExist(mailboxIds, reach);
    return this.start(actor, mailboxIds, { type });
  }

  /**
   * P-13: Test & Enable every active mailbox of a profile, as asynchronous jobs with visible progress (10,000
   * mailboxes per job, the bulk limit). The mailboxes come from the read model, so they exist.
   */
  async testAndEnableProfile(actor: string, profileId: string, mailboxIds: string[]): Promise<string[]> {
    this.checkProfile('id', profileId);
    const jobs: string[] = [];
    for (let i = 0; i < mailboxIds.length; i += 10_000) {
      jobs.push(await this.start(actor, mailboxIds.slice(i, i + 10_000), { type: 'TestAndEnable' }));
    }
    return jobs;
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
    const result = await this.gateway.sendCommand<JobCommand, JobState>('job', jobId, command);
    acceptedOrThrow(result);
    return jobId;
  }

  /**
   * GET /api/v1/jobs/{id}: progress and per-mailbox results, from the job state every API instance follows (the
   * `jobs`/`job_results` collections hold the same for operators; FerretDB would scan 10,000 results per poll).
   * A job is in `reach` by who started it; one out of reach is waited for and answered as a missing one.
   */
  async get(jobId: string, reach: Reach): Promise<JobView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const state = this.owners.jobStore.get(jobId).state;
      if (state.status === 'Exists' && inReach(reach, state.job.requestedBy)) {
        const j = state.job;
        return {
          id: j.jobId,
          type: j.jobType,
          status: j.status,
          total: j.mailboxIds.length,
          done: j.results.size,
          refused: j.refused,
          startedAt: j.startedAt,
          completedAt: j.completedAt,
          requestedBy: j.requestedBy,
          results: j.mailboxIds.flatMap((id) => {
            const r = j.results.get(id);
            return r ? [r] : [];
          }),
          tests: requestsTests(j)
            ? testProgress(j.jobId, j.results.values(), (id) => this.directory.peek(id))
            : null,
        };
      }
      if (Date.now() > deadline)
        throw new NotFoundException({
          statusCode: 404,
          error: 'Not Found',
          message: `job ${jobId} does not exist`,
        });
      await sleep(50);
    }
  }
}
