import { DynamicModule, Module } from '@nestjs/common';
import { ApiConfig } from '@ssync/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AuthModule, SecretsModule, provideGlobalAuthGuard } from '@ssync/security';
import { EmailActivitiesController, MailboxLedgerController } from './activities/activities.controller';
import { ACTIVITY_COMMAND_HANDLERS } from './activities/activity.commands';
import { ACTIVITY_QUERY_HANDLERS } from './activities/activity.queries';
import { AlertOwnerService } from './alerts/alert-owner.service';
import { ALERT_HANDLERS, AlertsController, ServiceAlertsController } from './alerts/alerts';
import { AuditController } from './audit/audit.controller';
import { ApiReadiness } from './health/api-readiness.service';
import { CaughtUpInterceptor } from './health/caught-up.interceptor';
import { HealthController } from './health/health.controller';
import { MetricsController } from './health/metrics.controller';
import { ApiExceptionFilter } from './http/errors';
import { AggregateOwnerService } from './infrastructure/aggregate-owner.service';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { BulkJobsService } from './jobs/bulk-jobs.service';
import { JobRunnerService } from './jobs/job-runner.service';
import { JobsController } from './jobs/jobs.controller';
import { MailboxDirectory } from './mailboxes/mailbox-directory.service';
import { MailboxService } from './mailboxes/mailbox.service';
import { MailboxesController } from './mailboxes/mailboxes.controller';
import { OrganizationSettingsController, OrganizationSettingsService } from './organization/organization';
import { PROFILE_COMMAND_HANDLERS } from './profiles/profile.commands';
import { PROFILE_QUERY_HANDLERS } from './profiles/profile.queries';
import { ProfilesController } from './profiles/profiles.controller';
import { SessionController } from './session/session';

@Module({
  imports: [CqrsModule.forRoot(), SecretsModule],
  controllers: [
    ProfilesController,
    OrganizationSettingsController,
    MailboxesController,
    JobsController,
    AuditController,
    HealthController,
    MetricsController,
    EmailActivitiesController,
    MailboxLedgerController,
    AlertsController,
    ServiceAlertsController,
    SessionController,
  ],
  providers: [
    AggregateOwnerService,
    OrganizationSettingsService,
    MailboxDirectory,
    MailboxService,
    BulkJobsService,
    JobRunnerService,
    ...PROFILE_COMMAND_HANDLERS,
    ...PROFILE_QUERY_HANDLERS,
    AlertOwnerService,
    ...ACTIVITY_COMMAND_HANDLERS,
    ...ACTIVITY_QUERY_HANDLERS,
    ...ALERT_HANDLERS,
    // Every route needs a bearer token unless marked @Public() (SPEC M-7).
    provideGlobalAuthGuard(),
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    ApiReadiness,
    // Never a partial answer: /api/v1 waits for the in-memory stores to catch up, else 503 (issue #9).
    { provide: APP_INTERCEPTOR, useClass: CaughtUpInterceptor },
  ],
})
export class AppModule {
  static register(config: ApiConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [InfrastructureModule.register(config), AuthModule.forRoot({ env })],
    };
  }
}
