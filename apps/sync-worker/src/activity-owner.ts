import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { CoreConfig } from '@ssync/common';
import {
  ActivityCommand,
  ActivityEvent,
  ActivityState,
  DomainError,
  activityDecider,
  activityResultState,
  retainedActivityState,
  settledActivity,
} from '@ssync/domain';
import {
  AggregateDefinition,
  AggregateStore,
  CommandFailure,
  CommandProcessor,
  aggregateTopics,
} from '@ssync/messaging';

function domainFailure(error: unknown): CommandFailure | null {
  if (!(error instanceof DomainError)) return null;
  return { kind: error.kind, message: error.message, violations: error.violations.map((v) => ({ ...v })) };
}

export const activityAggregate: AggregateDefinition<ActivityCommand, ActivityEvent, ActivityState> = {
  aggregateType: 'activity',
  ...activityDecider,
  toFailure: domainFailure,
  // Results go to every caller's results topic: without the body (up to ~4 MB) they stay small.
  resultState: activityResultState,
};

/**
 * The activity partition owner (issue #5): email activities are decided by the sync workers, next to the mailbox
 * owner, because the workers are the ones that track incoming email and send outgoing email; one writer per
 * activity makes "a message becomes exactly one activity" and "a queued email is sent once" a property of the
 * aggregate. The activity needs no facts from other aggregates. `activities` is the state the sender reads.
 */
export class ActivityOwner {
  private readonly logger = new Logger('ActivityOwner');
  readonly activities: AggregateStore<ActivityState>;
  private readonly processor: CommandProcessor<ActivityCommand, ActivityEvent, ActivityState>;

  /**
   * `commandPaceMs`: the activity commands topic is fetched at most this often once caught up, so a worker's tracked
   * messages (tens a second, each its caller's to wait for) share transactions (CommandProcessor `topicPaceMs`).
   */
  constructor(kafka: Kafka, config: CoreConfig, options: { commandPaceMs?: number } = {}) {
    const prefix = config.kafka.topicPrefix;
    this.activities = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'activity').events,
      `${prefix}.activity.state.${config.instanceId}`,
      // Without the bodies nobody reads again; a tracked message as a 12-byte entry (issue #9, docs/adr/0012),
      // kept only for the partitions this worker owns (docs/adr/0013): the sender needs the pending ones of all.
      { ...activityDecider, retain: retainedActivityState, settled: settledActivity },
      undefined,
      { settledOwnedOnly: true, batchedFollow: true, followPaceMs: config.kafka.followerPaceMs },
    );
    this.processor = new CommandProcessor(kafka, this.activities, activityAggregate, {
      topicPrefix: prefix,
      orgId: config.orgId,
      instanceId: config.instanceId,
      // An activity record can be ~4 MB (a 1,048,576-character body): at most 5 per transaction keeps a record
      // batch under the activity topics' 32 MB limit.
      maxCommandsPerTransaction: 5,
      topicPaceMs: options.commandPaceMs ?? 0,
    });
  }

  async start(): Promise<void> {
    await this.activities.start();
    await this.processor.start();
    this.logger.log('activity command processor started');
  }

  isReady(): boolean {
    return (
      this.processor.isReady() &&
      this.activities.caughtUpToStart() &&
      this.activities.loadingPartitions().length === 0
    );
  }

  assignedPartitions(): number[] {
    return this.processor.assignedPartitions();
  }

  async stop(): Promise<void> {
    await this.processor.stop();
    await this.activities.stop();
  }
}
