import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ApiConfig } from '@ssync/common';
import {
  DomainError,
  JobCommand,
  JobEvent,
  JobState,
  OrganizationCommand,
  OrganizationEmailSettings,
  OrganizationEvent,
  OrganizationState,
  ProfileCommand,
  ProfileEvent,
  ProfileState,
  jobDecider,
  jobSummary,
  organizationDecider,
  organizationEmailSettingsOf,
  profileDecider,
} from '@ssync/domain';
import {
  AggregateDefinition,
  AggregateStore,
  AggregateType,
  CommandFailure,
  CommandProcessor,
  aggregateTopics,
} from '@ssync/messaging';
import { API_CONFIG, KAFKA } from './tokens';

export function domainFailure(error: unknown): CommandFailure | null {
  if (!(error instanceof DomainError)) return null;
  return { kind: error.kind, message: error.message, violations: error.violations.map((v) => ({ ...v })) };
}

export const profileAggregate: AggregateDefinition<ProfileCommand, ProfileEvent, ProfileState> = {
  aggregateType: 'profile',
  ...profileDecider,
  toFailure: domainFailure,
};

export const organizationAggregate: AggregateDefinition<
  OrganizationCommand,
  OrganizationEvent,
  OrganizationState
> = {
  aggregateType: 'organization',
  ...organizationDecider,
  toFailure: domainFailure,
};

/** A job's state holds up to 10,000 ids and results: callers get its summary. */
export const jobAggregate: AggregateDefinition<JobCommand, JobEvent, JobState> = {
  aggregateType: 'job',
  ...jobDecider,
  toFailure: domainFailure,
  resultState: jobSummary,
};

/**
 * Profiles, the organization settings and bulk jobs are few, so their command partitions are owned by consumer
 * groups inside the API processes (docs/ARCHITECTURE.md). Every API instance takes a share; a dead one's
 * partitions move to the others. Each instance also follows all of their events, so handlers can read the
 * authoritative state of a profile or of the organization settings (facts for mailbox commands).
 */
@Injectable()
export class AggregateOwnerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AggregateOwnerService.name);
  readonly profileStore: AggregateStore<ProfileState>;
  readonly organizationStore: AggregateStore<OrganizationState>;
  readonly jobStore: AggregateStore<JobState>;
  private readonly processors: {
    profile: CommandProcessor<ProfileCommand, ProfileEvent, ProfileState>;
    organization: CommandProcessor<OrganizationCommand, OrganizationEvent, OrganizationState>;
    job: CommandProcessor<JobCommand, JobEvent, JobState>;
  };

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    const prefix = config.kafka.topicPrefix;
    const store = <S>(aggregate: AggregateType, fn: { initialState(): S; evolve(s: S, e: never): S }) =>
      new AggregateStore<S>(
        kafka,
        aggregateTopics(prefix, aggregate).events,
        `${prefix}.${aggregate}.state.${config.instanceId}`,
        fn,
      );
    this.profileStore = store('profile', profileDecider);
    this.organizationStore = store('organization', organizationDecider);
    this.jobStore = store('job', jobDecider);
    const options = { topicPrefix: prefix, orgId: config.orgId, instanceId: config.instanceId };
    this.processors = {
      profile: new CommandProcessor(kafka, this.profileStore, profileAggregate, options),
      organization: new CommandProcessor(kafka, this.organizationStore, organizationAggregate, options),
      // Job records are large (ids, results): fewer per transaction keeps a record batch well under the limit.
      job: new CommandProcessor(kafka, this.jobStore, jobAggregate, {
        ...options,
        maxCommandsPerTransaction: 10,
      }),
    };
  }

  async onModuleInit(): Promise<void> {
    await Promise.all([this.profileStore.start(), this.organizationStore.start(), this.jobStore.start()]);
    await Promise.all([
      this.processors.profile.start(),
      this.processors.organization.start(),
      this.processors.job.start(),
    ]);
    this.logger.log('profile, organization and job command processors started');
  }

  isReady(): boolean {
    return Object.values(this.processors).every((p) => p.isReady());
  }

  /** The organization settings in force (the defaults until someone saves them). */
  organizationSettings(): OrganizationEmailSettings {
    return organizationEmailSettingsOf(this.organizationStore.get(this.config.orgId).state);
  }

  /** True when this instance owns the partition of the job's events, and so runs the job. */
  ownsJob(jobId: string): boolean {
    const partition = this.jobStore.partitionOf(jobId);
    return partition !== undefined && this.processors.job.assignedPartitions().includes(partition);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.processors).map((p: { stop(): Promise<void> }) => p.stop()));
    await Promise.all([this.profileStore.stop(), this.organizationStore.stop(), this.jobStore.stop()]);
  }
}
