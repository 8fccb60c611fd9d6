import { DynamicModule, Module } from '@nestjs/common';
import { ApiConfig } from '@ssync/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { SecretsModule } from '@ssync/security';
import { AuditController } from './audit/audit.controller';
import { HealthController } from './health/health.controller';
import { ApiExceptionFilter } from './http/errors';
import { AggregateOwnerService } from './infrastructure/aggregate-owner.service';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { PROFILE_COMMAND_HANDLERS } from './profiles/profile.commands';
import { PROFILE_QUERY_HANDLERS } from './profiles/profile.queries';
import { ProfilesController } from './profiles/profiles.controller';

@Module({
  imports: [CqrsModule.forRoot(), SecretsModule],
  controllers: [ProfilesController, AuditController, HealthController],
  providers: [
    AggregateOwnerService,
    ...PROFILE_COMMAND_HANDLERS,
    ...PROFILE_QUERY_HANDLERS,
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
  ],
})
export class AppModule {
  static register(config: ApiConfig): DynamicModule {
    return { module: AppModule, imports: [InfrastructureModule.register(config)] };
  }
}
