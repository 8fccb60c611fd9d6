import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSchema, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import {
  ALL_PRIVILEGES,
  PRINCIPAL_REQUEST_KEY,
  Principal,
  Privilege,
  depthOf,
  hasPrivilege,
} from '@ssync/security';
import { ApiErrors } from '../http/openapi';

@ApiSchema({ name: 'Session', description: 'Who the bearer token is' })
export class SessionBody {
  @ApiProperty({
    description: 'The user id mailboxes and profiles name as owner, and alerts walls are kept by',
  })
  userId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({
    enum: Privilege,
    enumName: 'Privilege',
    isArray: true,
    description: 'Every privilege the token holds, SystemAdmin spelled out into the ones it implies',
  })
  privileges!: Privilege[];

  @ApiProperty({
    enum: Privilege,
    enumName: 'Privilege',
    isArray: true,
    description:
      'Those of `privileges` held at user depth: they reach only the mailboxes the user owns, with their activities, ' +
      'ledger, audit and jobs. The others reach the whole organization',
  })
  userDepth!: Privilege[];
}

export function sessionOf(principal: Principal): SessionBody {
  const privileges = ALL_PRIVILEGES.filter((p) => hasPrivilege(principal, p));
  return {
    userId: principal.userId,
    name: principal.name,
    privileges,
    userDepth: privileges.filter((p) => depthOf(principal, p) === 'User'),
  };
}

/**
 * The console shows the signed-in user's own alerts wall, so it must know who the token is. Only the API
 * can say: the operator's SSYNC_DEV_TOKEN is an opaque string, not a JWT the browser could read, and a JWT's
 * payload read unverified in the browser would be a second, weaker judgment of the same token.
 */
@ApiTags('session')
@ApiErrors(401, 403, 503)
@Controller('api/v1/session')
export class SessionController {
  @Get()
  @ApiOperation({ summary: 'Who the bearer token is: user id, name and privileges' })
  @ApiOkResponse({ type: SessionBody, description: 'The caller' })
  get(@Req() req: Request): SessionBody {
    return sessionOf((req as Request & { [PRINCIPAL_REQUEST_KEY]: Principal })[PRINCIPAL_REQUEST_KEY]);
  }
}
