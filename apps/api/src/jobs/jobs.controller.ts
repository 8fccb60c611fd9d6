import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ApiErrors } from '../http/openapi';
import { requestReach } from '../http/reach';
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
  @ApiOperation({
    summary:
      'A bulk job: progress and a result per mailbox. At user depth of MailboxRead, only the jobs the caller started',
  })
  @ApiOkResponse({ type: BulkJobBody, description: 'The job' })
  @ApiErrors(400, 404)
  get(@Req() req: Request, @Param('id') id: string): Promise<JobView> {
    return this.jobs.get(checkId('id', id), requestReach(req, Privilege.MailboxRead));
  }
}
