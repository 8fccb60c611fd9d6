import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const AUDIT_PAGE = { default: 100, max: 1000 } as const;

/** Issue #14: an aggregate's history is read a page at a time, oldest first. */
export class AuditPageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: AUDIT_PAGE.max, default: AUDIT_PAGE.default })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_PAGE.max)
  limit?: number;

  @ApiPropertyOptional({
    description: "The previous page's nextCursor: the events after it",
    pattern: '^[0-9]{1,15}$',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  after?: string;
}

export class MailboxAuditQuery extends AuditPageQuery {
  @ApiPropertyOptional({
    description:
      'ISO 8601 date-time with a time zone, e.g. 2026-01-31T10:00:00Z: the state at that time (A-3) instead of the events; not paged',
    format: 'date-time',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  asOf?: string;
}
