import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActiveVersion, AuditDocument, ReadModels } from '@ssync/read-models';
import { checkId } from '../http/request-context';

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  @Get('email-server-profiles/:id')
  @ApiOperation({ summary: "A profile's events in order (SPEC A-2); secrets redacted" })
  async profile(
    @Param('id') id: string,
  ): Promise<{ aggregateId: string; events: Omit<AuditDocument, '_id'>[] }> {
    const models = this.readModels.at(await this.active.get());
    const docs = await models.audit
      .find({ aggregateType: 'profile', aggregateId: checkId('id', id) })
      .sort({ sequence: 1 })
      .lean<AuditDocument[]>()
      .exec();
    if (docs.length === 0)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `no history for email server profile ${id}`,
      });
    return { aggregateId: id, events: docs.map(({ _id, ...rest }) => ({ eventId: _id, ...rest })) };
  }
}
