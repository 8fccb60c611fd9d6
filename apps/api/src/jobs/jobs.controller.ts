import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ApiErrors } from '../http/openapi';
import { checkId } from '../http/request-context';
import { BulkJobsService, JobView } from './bulk-jobs.service';
import { BulkJobBody } from './job.response';

@ApiTags('jobs')
@ApiErrors(401, 403, 503)
@Controller('api/v1/jobs')
export class JobsController {
  constructor(private readonly jobs: BulkJobsService) {}

  @Get(':id')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({ summary: 'A bulk job: progress and a result per mailbox' })
  @ApiOkResponse({ type: BulkJobBody, description: 'The job' })
  @ApiErrors(400, 404)
  get(@Param('id') id: string): Promise<JobView> {
    return this.jobs.get(checkId('id', id));
  }
}
