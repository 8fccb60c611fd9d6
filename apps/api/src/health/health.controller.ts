import { AlertOwnerService } from '../alerts/alert-owner.service';
import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Connection } from 'mongoose';
import { KafkaCommandGateway } from '@ssync/messaging';
import { Public } from '@ssync/security';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { MONGO_CONNECTION } from '../infrastructure/tokens';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';

@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly owners: AggregateOwnerService,
    private readonly directory: MailboxDirectory,
    private readonly alerts: AlertOwnerService,
    @Inject(MONGO_CONNECTION) private readonly mongo: Connection,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 once commands can be sent and answered and the read models can be queried. */
  @Get('ready')
  async ready(): Promise<{ status: 'ready'; checks: Record<string, boolean> }> {
    let mongo = false;
    try {
      await this.mongo.db!.command({ ping: 1 });
      mongo = true;
    } catch {
      mongo = false;
    }
    const checks = {
      kafkaCommandGateway: this.gateway.isReady(),
      commandProcessors: this.owners.isReady(),
      mailboxDirectory: this.directory.isReady(),
      alertCommandProcessor: this.alerts.isReady(),
      mongodb: mongo,
    };
    if (!Object.values(checks).every(Boolean)) throw new HttpException({ status: 'starting', checks }, 503);
    return { status: 'ready', checks };
  }
}
