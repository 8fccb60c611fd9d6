import { Decider, DomainError, Violation, assertNever, assertValid } from '../shared/decider';
import { rules } from '../shared/rules';
import { JobCommand } from './commands';
import { JobEvent } from './events';
import {
  BULK_ITEM_OUTCOMES,
  BULK_JOB_TYPES,
  BulkItemResult,
  BulkJobParameters,
  BulkJobStatus,
  BulkJobType,
  MAX_BULK_MAILBOXES,
} from './types';

export interface BulkJob {
  jobId: string;
  jobType: BulkJobType;
  status: BulkJobStatus;
  mailboxIds: string[];
  parameters: BulkJobParameters;
  startedAt: string;
  requestedBy: string;
  completedAt: string | null;
  /** Outcome per mailbox id, for the ones that have one. */
  results: Map<string, BulkItemResult>;
  refused: number;
}

export type JobState = { status: 'None' } | { status: 'Exists'; job: BulkJob };

export const initialJobState = (): JobState => ({ status: 'None' });

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The whole request is checked before anything starts: a bulk run is never silently half-applied. */
export function validateBulkMailboxIds(field: string, ids: unknown): Violation[] {
  if (!Array.isArray(ids)) return [{ field, rule: 'type', message: 'must be an array of mailbox ids' }];
  if (ids.length === 0) return [{ field, rule: 'minItems', message: 'must name at least one mailbox' }];
  if (ids.length > MAX_BULK_MAILBOXES)
    return [{ field, rule: 'maxItems', message: `must name at most ${MAX_BULK_MAILBOXES} mailboxes` }];
  const v: Violation[] = [];
  const bad = ids.filter((id) => typeof id !== 'string' || !ID.test(id));
  if (bad.length > 0)
    v.push({
      field,
      rule: 'id',
      message: `${bad.length} value(s) are not mailbox ids (1–64 letters, digits, "-" or "_"): ${bad
        .slice(0, 20)
        .map((b) => JSON.stringify(b))
        .join(', ')}`,
    });
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids as string[]) (seen.has(id) ? dup : seen).add(id);
  if (dup.size > 0)
    v.push({
      field,
      rule: 'unique',
      message: `duplicate mailbox ids: ${[...dup].slice(0, 50).join(', ')}${dup.size > 50 ? ', …' : ''}`,
    });
  return v;
}

function requireJob(state: JobState, jobId: string): BulkJob {
  if (state.status === 'None') throw new DomainError('not-found', `job ${jobId} does not exist`);
  return state.job;
}

export function decideJob(command: JobCommand, state: JobState): JobEvent[] {
  switch (command.type) {
    case 'StartBulkJob': {
      if (state.status !== 'None') throw new DomainError('conflict', `job ${command.jobId} already exists`);
      const v = validateBulkMailboxIds('mailboxIds', command.mailboxIds);
      v.push(...rules.oneOf('parameters.type', command.parameters?.type, BULK_JOB_TYPES));
      assertValid(v);
      return [
        {
          type: 'BulkJobStarted',
          data: {
            jobId: command.jobId,
            jobType: command.parameters.type,
            mailboxIds: [...command.mailboxIds],
            parameters: command.parameters,
            startedAt: command.issuedAt,
            requestedBy: command.actor,
          },
        },
      ];
    }
    case 'RecordBulkJobItems': {
      const job = requireJob(state, command.jobId);
      if (job.status !== 'Running') return [];
      const members = new Set(job.mailboxIds);
      const v: Violation[] = [];
      const fresh: BulkItemResult[] = [];
      const inCommand = new Set<string>();
      command.results.forEach((r, i) => {
        if (!members.has(r.mailboxId))
          v.push({
            field: `results[${i}].mailboxId`,
            rule: 'member',
            message: 'is not a mailbox of this job',
          });
        v.push(...rules.oneOf(`results[${i}].outcome`, r.outcome, BULK_ITEM_OUTCOMES));
        // An outcome is recorded once: a resumed runner may report a mailbox again.
        if (!job.results.has(r.mailboxId) && !inCommand.has(r.mailboxId)) {
          inCommand.add(r.mailboxId);
          fresh.push(
            r.reason === undefined
              ? { mailboxId: r.mailboxId, outcome: r.outcome }
              : { mailboxId: r.mailboxId, outcome: r.outcome, reason: r.reason },
          );
        }
      });
      assertValid(v);
      return fresh.length === 0
        ? []
        : [{ type: 'BulkJobItemsCompleted', data: { jobId: command.jobId, results: fresh } }];
    }
    case 'CompleteBulkJob': {
      const job = requireJob(state, command.jobId);
      if (job.status !== 'Running') return [];
      const failure = command.failure ?? null;
      if (failure === null && job.results.size < job.mailboxIds.length) {
        throw DomainError.validation([
          {
            field: 'results',
            rule: 'complete',
            message: `${job.mailboxIds.length - job.results.size} mailbox(es) have no outcome yet`,
          },
        ]);
      }
      return [
        {
          type: 'BulkJobCompleted',
          data: {
            jobId: command.jobId,
            status: failure === null ? 'Completed' : 'Failed',
            completedAt: command.issuedAt,
            failure,
          },
        },
      ];
    }
    default:
      return assertNever(command, 'job command');
  }
}

export function evolveJob(state: JobState, event: JobEvent): JobState {
  switch (event.type) {
    case 'BulkJobStarted':
      return {
        status: 'Exists',
        job: {
          jobId: event.data.jobId,
          jobType: event.data.jobType,
          status: 'Running',
          mailboxIds: event.data.mailboxIds,
          parameters: event.data.parameters,
          startedAt: event.data.startedAt,
          requestedBy: event.data.requestedBy,
          completedAt: null,
          results: new Map(),
          refused: 0,
        },
      };
    case 'BulkJobItemsCompleted': {
      if (state.status === 'None') return state;
      // A new map: a state decided on but not yet committed must not leak into the one it came from.
      const results = new Map(state.job.results);
      let refused = state.job.refused;
      for (const r of event.data.results) {
        if (!results.has(r.mailboxId) && r.outcome === 'Refused') refused += 1;
        results.set(r.mailboxId, r);
      }
      return { status: 'Exists', job: { ...state.job, results, refused } };
    }
    case 'BulkJobCompleted':
      return state.status === 'None'
        ? state
        : {
            status: 'Exists',
            job: { ...state.job, status: event.data.status, completedAt: event.data.completedAt },
          };
    default:
      return assertNever(event, 'job event');
  }
}

/** A small summary of a job, without its ids and results (what command results carry). */
export function jobSummary(state: JobState): {
  jobId: string;
  jobType: BulkJobType;
  status: BulkJobStatus;
  total: number;
  done: number;
  refused: number;
} | null {
  if (state.status === 'None') return null;
  const j = state.job;
  return {
    jobId: j.jobId,
    jobType: j.jobType,
    status: j.status,
    total: j.mailboxIds.length,
    done: j.results.size,
    refused: j.refused,
  };
}

export const jobDecider: Decider<JobCommand, JobEvent, JobState> = {
  decide: decideJob,
  evolve: evolveJob,
  initialState: initialJobState,
};
