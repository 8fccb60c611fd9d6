import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ApiConfig } from '@ssync/common';
import { DomainError, ProfileCommand, ProfileEvent, ProfileState, profileDecider } from '@ssync/domain';
import {
  AggregateDefinition,
  AggregateStore,
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

/**
 * Profiles are few, so their command partitions are owned by a consumer group inside the API processes
 * (docs/ARCHITECTURE.md). Every API instance takes a share; a dead one's partitions move to the others.
 */
@Injectable()
export class AggregateOwnerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AggregateOwnerService.name);
  readonly profileStore: AggregateStore<ProfileState>;
  private readonly processor: CommandProcessor<ProfileCommand, ProfileEvent, ProfileState>;

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(API_CONFIG) config: ApiConfig) {
    const topics = aggregateTopics(config.kafka.topicPrefix, 'profile');
    this.profileStore = new AggregateStore(
      kafka,
      topics.events,
      `${config.kafka.topicPrefix}.profile.state.${config.instanceId}`,
      profileDecider,
    );
    this.processor = new CommandProcessor(kafka, this.profileStore, profileAggregate, {
      topicPrefix: config.kafka.topicPrefix,
      orgId: config.orgId,
      instanceId: config.instanceId,
    });
  }

  async onModuleInit(): Promise<void> {
    await this.profileStore.start();
    await this.processor.start();
    this.logger.log('profile command processor started');
  }

  isReady(): boolean {
    return this.processor.isReady();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.processor.stop();
    await this.profileStore.stop();
  }
}
