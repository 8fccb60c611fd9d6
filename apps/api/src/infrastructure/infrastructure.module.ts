import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import mongoose, { Connection } from 'mongoose';
import { Kafka } from 'kafkajs';
import { ApiConfig, loadApiConfig } from '@ssync/common';
import { KafkaCommandGateway, connectKafka } from '@ssync/messaging';
import { ActiveVersion, ReadModels, readModelConnectionOptions } from '@ssync/read-models';
import { API_CONFIG, KAFKA, MONGO_CONNECTION } from './tokens';

/** Kafka, MongoDB and configuration for the API process; started once, drained on shutdown. */
const API_DATABASE_WAIT_MS = 3000;

@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig): Promise<Kafka> => connectKafka(config),
    },
    {
      provide: MONGO_CONNECTION,
      inject: [API_CONFIG],
      useFactory: async (config: ApiConfig): Promise<Connection> =>
        // A read while the database is away answers 503 within 3 s (issue #11), not after 10.
        mongoose
          .createConnection(config.mongo.uri, readModelConnectionOptions(config.mongo, API_DATABASE_WAIT_MS))
          .asPromise(),
    },
    {
      provide: ReadModels,
      inject: [MONGO_CONNECTION],
      useFactory: (conn: Connection) => new ReadModels(conn),
    },
    {
      provide: ActiveVersion,
      inject: [MONGO_CONNECTION],
      useFactory: (conn: Connection) => new ActiveVersion(conn),
    },
    {
      provide: KafkaCommandGateway,
      inject: [KAFKA, API_CONFIG],
      useFactory: async (kafka: Kafka, config: ApiConfig) => {
        const gateway = new KafkaCommandGateway(kafka, {
          topicPrefix: config.kafka.topicPrefix,
          orgId: config.orgId,
          instanceId: config.instanceId,
          timeoutMs: config.commandTimeoutMs,
        });
        await gateway.start();
        return gateway;
      },
    },
  ],
  exports: [API_CONFIG, KAFKA, MONGO_CONNECTION, ReadModels, ActiveVersion, KafkaCommandGateway],
})
export class InfrastructureModule implements OnApplicationShutdown {
  static register(config: ApiConfig = loadApiConfig()): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [{ provide: API_CONFIG, useValue: config }],
      exports: [API_CONFIG],
    };
  }

  private readonly logger = new Logger(InfrastructureModule.name);

  constructor(
    @Inject(MONGO_CONNECTION) private readonly mongo: Connection,
    private readonly gateway: KafkaCommandGateway,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.gateway.stop();
    await this.mongo.close();
    this.logger.log('infrastructure closed');
  }
}
