import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  BulkItemResult,
  BulkJob,
  JobCommand,
  MailboxCommand,
  bulkItemResult,
  mailboxProfileFacts,
} from '@ssync/domain';
import { CommandResult, CommandTimeoutError, KafkaCommandGateway } from '@ssync/messaging';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';

/** A stable command id per job and mailbox: a resumed job re-sends the same command, decided once. */
export function jobItemCommandId(jobId: string, mailboxId: string): string {
  const h = createHash('sha256').update(`job-item\u0000${jobId}\u0000${mailboxId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const CHUNK = 250;
const CHUNKS_IN_FLIGHT = 4;
const ATTEMPTS = 4;

/**
 * Runs bulk jobs (a process manager with its own events). The instance that owns a job's partition runs it: on
 * start or after a crash it finds the Running jobs in the job store and carries on with the mailboxes that have
 * no outcome yet. Per-mailbox commands have stable ids, so one that was applied before a crash but not yet
 * recorded is answered by the mailbox owner as a duplicate, without a second change.
 */
@Injectable()
export class JobRunnerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('JobRunner');
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly owners: AggregateOwnerService,
    private readonly gateway: KafkaCommandGateway,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.scan(), 250);
  }

  private scan(): void {
    if (this.stopped || !this.gateway.isReady()) return;
    for (const [jobId, snapshot] of this.owners.jobStore.entries()) {
      const state = snapshot.state;
      if (state.status !== 'Exists' || state.job.status !== 'Running' || this.running.has(jobId)) continue;
      if (!this.owners.ownsJob(jobId)) continue;
      const run = this.run(jobId)
        .catch((error: unknown) => {
          this.logger.warn(
            `job ${jobId} paused, will resume: ${error instanceof Error ? error.message : String(error)}`,
          );
        })
        .finally(() => this.running.delete(jobId));
      this.running.set(jobId, run);
    }
  }

  private current(jobId: string): BulkJob | null {
    const state = this.owners.jobStore.get(jobId).state;
    return state.status === 'Exists' ? state.job : null;
  }

  private async run(jobId: string): Promise<void> {
    // Outcomes recorded while the broker was away, or by the job's previous runner, are not done again.
    const partition = this.owners.jobStore.partitionOf(jobId);
    if (partition !== undefined) await this.owners.jobStore.catchUpNow(partition);
    const job = this.current(jobId);
    if (!job || job.status !== 'Running') return;
    const pending = job.mailboxIds.filter((id) => !job.results.has(id));
    if (pending.length > 0)
      this.logger.log(`job ${jobId} (${job.jobType}): ${pending.length} of ${job.mailboxIds.length} to do`);
    const chunks: string[][] = [];
    for (let i = 0; i < pending.length; i += CHUNK) chunks.push(pending.slice(i, i + CHUNK));
    let next = 0;
    const worker = async () => {
      while (!this.stopped && next < chunks.length) {
        const chunk = chunks[next++]!;
        const results = await this.applyChunk(job, chunk);
        await this.sendJob(job, { type: 'RecordBulkJobItems', results });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks.length) }, worker));
    if (this.stopped) return;
    await this.sendJob(job, { type: 'CompleteBulkJob' });
    this.logger.log(`job ${jobId} completed`);
  }

  private async sendJob(
    job: BulkJob,
    body: { type: 'RecordBulkJobItems'; results: BulkItemResult[] } | { type: 'CompleteBulkJob' },
  ): Promise<void> {
    const command = {
      ...body,
      commandId: randomUUID(),
      actor: job.requestedBy,
      issuedAt: new Date().toISOString(),
      jobId: job.jobId,
    } as JobCommand;
    const result = await this.gateway.send<JobCommand>({
      aggregateType: 'job',
      aggregateId: job.jobId,
      type: command.type,
      actor: job.requestedBy,
      command,
      commandId: command.commandId,
      issuedAt: command.issuedAt,
    });
    if (!result.accepted) throw new Error(`${command.type} refused: ${result.error?.message ?? 'unknown'}`);
  }

  /** One command per mailbox, published together; commands without an answer in time are sent again (same id). */
  private async applyChunk(job: BulkJob, mailboxIds: string[]): Promise<BulkItemResult[]> {
    const out: BulkItemResult[] = [];
    let todo = mailboxIds;
    for (let attempt = 1; todo.length > 0; attempt++) {
      const issuedAt = new Date().toISOString();
      const commands = todo.map((id) => this.commandFor(job, id, issuedAt));
      const outcomes = await Promise.allSettled(
        await this.gateway.sendBatch<MailboxCommand>(
          commands.map((command) => ({
            aggregateType: 'mailbox',
            aggregateId: command.mailboxId,
            type: command.type,
            actor: job.requestedBy,
            command,
            commandId: command.commandId,
            issuedAt,
            correlationId: job.jobId,
          })),
        ),
      );
      const retry: string[] = [];
      outcomes.forEach((o, i) => {
        const mailboxId = todo[i]!;
        if (o.status === 'fulfilled') out.push(itemResult(job, mailboxId, o.value));
        else if (o.reason instanceof CommandTimeoutError && attempt < ATTEMPTS) retry.push(mailboxId);
        else throw o.reason instanceof Error ? o.reason : new Error(String(o.reason));
      });
      todo = retry;
    }
    return out;
  }

  private commandFor(job: BulkJob, mailboxId: string, issuedAt: string): MailboxCommand {
    const meta = {
      commandId: jobItemCommandId(job.jobId, mailboxId),
      actor: job.requestedBy,
      issuedAt,
      mailboxId,
    };
    const facts = (profileId: string) => mailboxProfileFacts(this.owners.profileStore.get(profileId).state);
    const p = job.parameters;
    switch (p.type) {
      case 'ApproveEmail':
        return { ...meta, type: 'ApproveEmail' };
      case 'RejectEmail':
        return { ...meta, type: 'RejectEmail' };
      // approvalRequired and the mailbox's own profile facts are filled in by the mailbox owner.
      case 'TestAndEnable':
        return { ...meta, type: 'RequestTest', approvalRequired: true };
      case 'DeactivateMailboxes':
        return { ...meta, type: 'DeactivateMailbox' };
      case 'BulkEdit':
        return {
          ...meta,
          type: 'BulkEditMailbox',
          changes: p.changes,
          ...(typeof p.changes.serverProfileId === 'string'
            ? { serverProfile: facts(p.changes.serverProfileId) }
            : {}),
        };
      case 'ApplyDefaultEmailSettings':
        return {
          ...meta,
          type: 'ApplyDefaultEmailSettings',
          defaults: p.defaults,
          serverProfile: facts(p.defaults.defaultServerProfileId),
          testAndEnable: p.testAndEnable,
          approvalRequired: true,
        };
      case 'ReassignProfile':
        return {
          ...meta,
          type: 'ReassignProfile',
          fromProfileId: p.fromProfileId,
          toProfileId: p.toProfileId,
          toProfile: facts(p.toProfileId),
          testAndEnable: p.testAndEnable,
          approvalRequired: true,
        };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }
}

function itemResult(job: BulkJob, mailboxId: string, result: CommandResult): BulkItemResult {
  return bulkItemResult(job.jobType, mailboxId, {
    accepted: result.accepted,
    duplicate: result.duplicate,
    changed: result.events.length > 0,
    refusal: result.error?.message ?? null,
  });
}
