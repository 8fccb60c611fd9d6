import { Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import mongoose, { Connection } from 'mongoose';
import { CoreConfig, loadCoreConfig } from '@ssync/common';
import { connectKafka } from '@ssync/messaging';
import { ReadModels, readModelConnectionOptions } from '@ssync/read-models';
import { ProjectorService } from './projector.service';

export const CORE_CONFIG = Symbol('CORE_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const MONGO = Symbol('MONGO');

@Module({
  providers: [
    { provide: CORE_CONFIG, useFactory: () => loadCoreConfig(process.env, 'projector') },
    {
      provide: KAFKA,
      inject: [CORE_CONFIG],
      useFactory: (config: CoreConfig): Promise<Kafka> => connectKafka(config),
    },
    {
      provide: MONGO,
      inject: [CORE_CONFIG],
      useFactory: (config: CoreConfig) =>
        mongoose.createConnection(config.mongo.uri, readModelConnectionOptions(config.mongo)).asPromise(),
    },
    {
      provide: ProjectorService,
      inject: [KAFKA, MONGO, CORE_CONFIG],
      useFactory: (kafka: Kafka, conn: Connection, config: CoreConfig) =>
        new ProjectorService(kafka, conn, new ReadModels(conn), config),
    },
  ],
  exports: [ProjectorService, KAFKA, MONGO, CORE_CONFIG],
})
export class ProjectorModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly projector: ProjectorService,
    @Inject(MONGO) private readonly mongo: Connection,
  ) {}

  async onModuleInit(): Promise<void> {
    if (process.env.SSYNC_PROJECTOR_MODE !== 'cli') await this.projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
    await this.mongo.close();
  }
}
