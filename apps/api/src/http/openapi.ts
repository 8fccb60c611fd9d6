import { Headers, INestApplication, Type, applyDecorators } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiResponseOptions,
  DocumentBuilder,
  OpenAPIObject,
  SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { Privilege } from '@ssync/security';
import { ViolationBody } from './errors';
import { ID, IDEMPOTENCY_KEY_MAX_LENGTH, USER_ID, VERSION_HEADER_PATTERN } from './request-context';

/**
 * `true` when two types have the same field names. A response schema class `implements` the view it documents, so
 * its field types agree; asserting this too means a field added to the view cannot go undocumented.
 */
export type SameFields<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never]
  ? true
  : false;

/** The document served at /api/openapi.json: every /api/v1 operation needs the bearer token. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ssync API')
      .setDescription(
        'Server-side synchronization between a CRM organization and Exchange Server (on-premises)',
      )
      .setVersion('1')
      .addBearerAuth()
      .addSecurityRequirements('bearer')
      .build(),
  );
  return withSharedRules(document);
}

const NO_NUL = '^[^\\x00]*$';
/**
 * Text that trim() does not empty (so no BOM either, which JavaScript counts as a space and Python does not), and no
 * NUL (refused by the validation pipe, validation.ts).
 */
export const NON_BLANK = '^[^\\x00]*[^\\s\\x00\\uFEFF][^\\x00]*$';

/** Path parameters by name, as the controllers check them (request-context.ts, alerts.ts). */
const PATH_PARAMETER_PATTERNS: Record<string, string> = {
  id: ID.source,
  alertId: ID.source,
  userId: USER_ID.source,
};

/**
 * Rules the API applies in one place, documented in one place, so a client (or Schemathesis) knows them: each path
 * id's pattern, no NUL in the text of a query or a body, and that a request body with a field its schema does not name is refused (the validation pipe's
 * `forbidNonWhitelisted`), all the way down.
 */
export function withSharedRules(document: OpenAPIObject): OpenAPIObject {
  const schemas = document.components?.schemas ?? {};
  const closed = new Set<string>();
  const close = (schema: unknown): void => {
    if (!schema || typeof schema !== 'object') return;
    const s = schema as SchemaObject & { $ref?: string };
    if (s.$ref) {
      const name = s.$ref.split('/').pop() ?? '';
      if (closed.has(name)) return;
      closed.add(name);
      return close(schemas[name]);
    }
    // The validation pipe refuses NUL in a body's text (validation.ts); other patterns already leave it out.
    if (s.type === 'string' && !s.pattern && !s.enum && !s.format) s.pattern = NO_NUL;
    if (s.type === 'object' || s.properties) {
      s.additionalProperties = false;
      Object.values(s.properties ?? {}).forEach(close);
    }
    if (s.items) close(s.items);
    [...(s.allOf ?? []), ...(s.oneOf ?? []), ...(s.anyOf ?? [])].forEach(close);
  };
  for (const item of Object.values(document.paths))
    for (const operation of [item.get, item.put, item.post, item.patch, item.delete]) {
      if (!operation) continue;
      for (const p of operation.parameters ?? []) {
        if ('$ref' in p || !p.schema || '$ref' in p.schema) continue;
        const pattern = p.in === 'path' ? PATH_PARAMETER_PATTERNS[p.name] : undefined;
        if (pattern) p.schema.pattern = pattern;
        // The validation pipe refuses NUL in a query (validation.ts).
        const text = p.schema.type === 'string' && !p.schema.pattern && !p.schema.enum && !p.schema.format;
        if (p.in === 'query' && text) p.schema.pattern = NO_NUL;
      }
      const body = operation.requestBody;
      if (body && 'content' in body) close(body.content['application/json']?.schema);
    }
  return document;
}

// Error bodies, as http/errors.ts, http/privileges.ts, http/body-parser.ts and the auth guard write them.

class Violation implements ViolationBody {
  @ApiProperty({ description: 'The field, parameter or header, as a path in the request', example: 'name' })
  field!: string;

  @ApiProperty({ description: 'The rule it breaks', example: 'required' })
  rule!: string;

  @ApiProperty({ example: 'is required' })
  message!: string;
}

class ErrorResponse {
  @ApiProperty({ type: 'integer', description: 'The HTTP status again' })
  statusCode!: number;

  @ApiProperty({ description: "The status's reason phrase, e.g. Not Found" })
  error!: string;

  @ApiProperty({ description: 'What went wrong, in words' })
  message!: string;
}

class ValidationErrorResponse extends ErrorResponse {
  @ApiProperty({ type: [Violation] })
  violations!: Violation[];
}

class ForbiddenErrorResponse extends ErrorResponse {
  @ApiProperty({ enum: Privilege, isArray: true, description: 'The privileges the caller lacks' })
  missingPrivileges!: Privilege[];
}

class NotFoundErrorResponse extends ErrorResponse {
  @ApiPropertyOptional({ type: [Violation], description: 'The field that names what does not exist' })
  violations?: Violation[];
}

class ConflictErrorResponse extends ErrorResponse {
  @ApiProperty({ type: [Violation] })
  violations!: Violation[];
}

class UnprocessableErrorResponse extends ErrorResponse {
  @ApiProperty({ type: [Violation] })
  violations!: Violation[];

  @ApiPropertyOptional({ type: [String], description: 'The ids of a bulk request that name no mailbox' })
  unknownMailboxIds?: string[];
}

class ServiceUnavailableErrorResponse extends ErrorResponse {
  @ApiProperty({ type: 'integer', example: 5 })
  retryAfterSeconds!: number;

  @ApiPropertyOptional({ enum: ['kafka', 'mongodb'], description: 'The dependency that cannot be reached' })
  dependency?: 'kafka' | 'mongodb';

  @ApiPropertyOptional({
    description: 'The command that was not sent; retry it with the same Idempotency-Key',
  })
  commandId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number', nullable: true },
    description: 'While this process still reads the event log: records left to read, per store',
  })
  behind?: Record<string, number | null>;
}

class GatewayTimeoutErrorResponse extends ErrorResponse {
  @ApiProperty({ description: 'The command whose outcome is unknown; it may still be applied' })
  commandId!: string;

  @ApiProperty({ type: 'integer', example: 5 })
  retryAfterSeconds!: number;
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 503 | 504;

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before asking again',
    schema: { type: 'integer' },
    required: true,
  },
};

const ERROR_RESPONSES: Record<ErrorStatus, ApiResponseOptions> = {
  400: {
    type: ValidationErrorResponse,
    description:
      'The request breaks a rule (a field, parameter, header, or the JSON itself): each violation names the field and the rule. Nothing changed',
  },
  401: {
    type: ErrorResponse,
    description: 'No bearer token, or one that is invalid or expired',
    headers: { 'WWW-Authenticate': { schema: { type: 'string', example: 'Bearer' }, required: true } },
  },
  403: {
    type: ForbiddenErrorResponse,
    description: 'The caller lacks a privilege this needs. Nothing changed',
  },
  404: { type: NotFoundErrorResponse, description: 'It, or what the request names, does not exist' },
  409: {
    type: ConflictErrorResponse,
    description:
      'Refused in the current state (deactivated, not at the version If-Match names, or a setting of what it belongs to rules it out). Nothing changed',
  },
  413: { type: ValidationErrorResponse, description: 'The body is larger than 2 MB' },
  415: {
    type: ValidationErrorResponse,
    description: 'The body has a charset or content encoding the API does not read (UTF-8 JSON)',
  },
  422: {
    type: UnprocessableErrorResponse,
    description:
      'Well-formed, but names something that cannot take it (a mailbox or email server profile that does not exist or is deactivated): each violation names the field. Nothing changed',
  },
  503: {
    type: ServiceUnavailableErrorResponse,
    description:
      'The broker or the database cannot be reached, or this process is still reading the event log. Ask again after Retry-After (a command with the same Idempotency-Key)',
    headers: RETRY_AFTER,
  },
  504: {
    type: GatewayTimeoutErrorResponse,
    description:
      'The command was sent, but its outcome did not come in time: it may still be applied. Read it back, or retry with the same Idempotency-Key',
    headers: RETRY_AFTER,
  },
};

/**
 * The errors an operation (or, on a controller, each of its operations) can answer, each with its body's schema.
 * Once an operation documents any response, swagger no longer adds its success status: document that too.
 */
export function ApiErrors(...statuses: ErrorStatus[]): ClassDecorator & MethodDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, ...ERROR_RESPONSES[status] })));
}

/**
 * `@Headers(name)` and its documentation in one, so the two cannot disagree: swagger documents a bare `@Headers`
 * as required, and an `@ApiHeader` spelled differently as a second parameter.
 */
function OptionalHeader(name: string, description: string, schema?: SchemaObject): ParameterDecorator {
  return (target, key, index) => {
    Headers(name)(target, key, index);
    const method = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key !== undefined && method)
      ApiHeader({ name, required: false, description, schema })(target, key, method);
  };
}

const VERSION_HEADER: SchemaObject = { type: 'string', pattern: VERSION_HEADER_PATTERN };

export const IfMatchHeader = (what: string): ParameterDecorator =>
  OptionalHeader(
    'If-Match',
    `Optional. Refuse (409, nothing changed) unless the current version of the ${what} is this one: its ETag, e.g. "3". Without it, the write applies to whatever version is current`,
    VERSION_HEADER,
  );

export const MinVersionHeader = (): ParameterDecorator =>
  OptionalHeader(
    'X-Min-Version',
    'Wait (at most 5 s) until the read model holds at least this version, e.g. 3 or an ETag: read your own writes',
    VERSION_HEADER,
  );

export const IdempotencyKeyHeader = (description: string): ParameterDecorator =>
  OptionalHeader('Idempotency-Key', description, {
    type: 'string',
    minLength: 1,
    maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
  });

const CREATED_HEADERS = {
  Location: { description: 'Where to read it', schema: { type: 'string' } },
  ETag: { description: 'Its version, e.g. "1": send it back as If-Match', schema: { type: 'string' } },
};

/** A create that honours `Idempotency-Key`: 201 the first time, 200 with what it created on every retry. */
export function ApiCreatedOnce(what: string, type: Type): MethodDecorator {
  return applyDecorators(
    ApiCreatedResponse({ type, description: `The ${what}, created`, headers: CREATED_HEADERS }),
    ApiOkResponse({
      type,
      description: `A retry with the same Idempotency-Key: the ${what} it created, as it is now; nothing changed`,
      headers: {
        ...CREATED_HEADERS,
        'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] }, required: true },
      },
    }),
  );
}
