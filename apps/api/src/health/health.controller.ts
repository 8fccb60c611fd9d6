import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { Connection } from 'mongoose';
import { Readiness, answersWithin, healthAnswer, roleReadiness } from '@ssync/common';
import { Kafka } from 'kafkajs';
import { KafkaCommandGateway, KafkaProbe } from '@ssync/messaging';
import { Public } from '@ssync/security';
import { AlertOwnerService } from '../alerts/alert-owner.service';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { KAFKA, MONGO_CONNECTION } from '../infrastructure/tokens';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { ApiReadiness } from './api-readiness.service';

@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  private readonly kafkaProbe: KafkaProbe;

  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly owners: AggregateOwnerService,
    private readonly directory: MailboxDirectory,
    private readonly alerts: AlertOwnerService,
    private readonly stores: ApiReadiness,
    @Inject(MONGO_CONNECTION) private readonly mongo: Connection,
    @Inject(KAFKA) kafka: Kafka,
  ) {
    this.kafkaProbe = new KafkaProbe(kafka);
  }

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * 200 once commands can be sent and answered, the broker and the read models answer now, and every in-memory
   * store has read the log as it stood at start with no sequence gap; otherwise 503 naming what is not ready
   * (`kafka: not ready`, `mongodb: not ready` while either is away).
   */
  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const answer = await healthAnswer('GET', '/health/ready', () => this.readiness());
    res.status(answer.status).set(answer.headers).json(answer.body);
  }

  private async readiness(): Promise<Readiness> {
    const stores = this.stores.report();
    return roleReadiness(
      {
        kafkaCommandGateway: this.gateway.isReady(),
        kafka: await this.kafkaProbe.reachable(),
        commandProcessors: this.owners.isReady(),
        mailboxDirectory: this.directory.isReady(),
        alertCommandProcessor: this.alerts.isReady(),
        mongodb: await answersWithin(2000, () => this.mongo.db!.command({ ping: 1 })),
      },
      stores.reasons,
      {
        caughtUpToStart: stores.caughtUp,
        stores: stores.stores,
        problems: { undecodable: stores.undecodable, gaps: stores.gaps, recent: stores.recentProblems },
      },
    );
  }
}
