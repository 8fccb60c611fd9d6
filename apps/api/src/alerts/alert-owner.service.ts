import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { ApiConfig } from '@ssync/common';
import { AlertCommand, AlertEvent, AlertState, alertDecider } from '@ssync/domain';
import { AggregateDefinition, AggregateStore, CommandProcessor, aggregateTopics } from '@ssync/messaging';
import { domainFailure } from '../infrastructure/aggregate-owner.service';
import { API_CONFIG, KAFKA } from '../infrastructure/tokens';

export const alertAggregate: AggregateDefinition<AlertCommand, AlertEvent, AlertState> = {
  aggregateType: 'alert',
  ...alertDecider,
  toFailure: domainFailure,
};

/**
 * Owner of the alert command partitions (dismissals, A-1). Alerts are a user-facing matter and dismissals are
 * rare, so, like profiles and jobs, their partitions are owned by the API processes.
 */
@Injectable()
export class AlertOwnerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AlertOwnerService.name);
  readonly store: AggregateStore<AlertState>;
  private readonly processor: CommandProcessor<AlertCommand, AlertEvent, AlertState>;

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(API_CONFIG) config: ApiConfig) {
    const prefix = config.kafka.topicPrefix;
    this.store = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'alert').events,
      `${prefix}.alert.state.${config.instanceId}`,
      alertDecider,
    );
    this.processor = new CommandProcessor(kafka, this.store, alertAggregate, {
      topicPrefix: prefix,
      orgId: config.orgId,
      instanceId: config.instanceId,
    });
  }

  async onModuleInit(): Promise<void> {
    await this.store.start();
    await this.processor.start();
    this.logger.log('alert command processor started');
  }

  isReady(): boolean {
    return this.processor.isReady();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.processor.stop();
    await this.store.stop();
  }
}
