import { ArgumentsHost, ExecutionContext, HttpStatus, RequestMethod, Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { OpenAPIObject, ReferenceObject } from '@nestjs/swagger';
import { Request } from 'express';
import { CommandBusUnavailableError, CommandFailure, CommandTimeoutError } from '@ssync/messaging';
import {
  AuthGuard,
  AuthenticationError,
  Authenticator,
  Privilege,
  SigningKeysUnavailableError,
  TokenService,
} from '@ssync/security';
import { OpenApiConformance, SeenResponse } from '@ssync/testing/openapi';
import { buildOpenApiDocument } from '../../../../scripts/lib/openapi-document';
import { AppModule } from '../app.module';
import { ProfilesController } from '../profiles/profiles.controller';
import { ApiExceptionFilter, CommandRefused, ServiceUnavailable, ValidationFailed } from './errors';
import { requireAnyPrivilege } from './privileges';

/** What the exception filter writes for an exception (headers set before it, e.g. by the guard, included). */
function filtered(exception: unknown, headers: Record<string, unknown> = {}): SeenResponse {
  const out: SeenResponse = { status: 0, headers: { ...headers }, body: undefined };
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => (out.headers[name] = value),
    status: (code: number) => ((out.status = code), res),
    json: (body: unknown) => ((out.body = body), res),
  };
  new ApiExceptionFilter().catch(exception, {
    switchToHttp: () => ({ getResponse: () => res }),
  } as unknown as ArgumentsHost);
  return out;
}

/** The auth guard's refusal of a request to ProfilesController.create, as the filter answers it. */
async function guarded(verify: TokenService['verify']): Promise<SeenResponse> {
  const headers: Record<string, unknown> = {};
  const context = {
    getType: () => 'http',
    getHandler: () => ProfilesController.prototype.create,
    getClass: () => ProfilesController,
    switchToHttp: () => ({
      getRequest: () => ({ headers: { authorization: 'Bearer t' } }),
      getResponse: () => ({ setHeader: (name: string, value: string) => (headers[name] = value) }),
    }),
  } as unknown as ExecutionContext;
  try {
    const authenticator = {
      authenticate: (token: string) => Promise.resolve(verify(token)),
    } as Authenticator;
    await new AuthGuard(authenticator, new Reflector()).canActivate(context);
  } catch (error) {
    return filtered(error, headers);
  }
  throw new Error('the guard let the request through');
}

function caught(act: () => void): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

const refused = (kind: CommandFailure['kind']) =>
  new CommandRefused({ kind, message: `refused: ${kind}`, violations: [] });

describe('the OpenAPI document (issue #13)', () => {
  let document: OpenAPIObject;
  let conformance: OpenApiConformance;

  beforeAll(async () => {
    document = await buildOpenApiDocument();
    conformance = new OpenApiConformance(document);
  });

  it('marks no header parameter required, describes each, and names each once', () => {
    const problems = conformance.operations().flatMap(({ method, path, operation }) => {
      const headers = conformance.headerParameters(operation);
      const names = headers.map((h) => h.name.toLowerCase());
      return [
        ...headers.filter((h) => h.required === true).map((h) => `${method} ${path}: ${h.name} is required`),
        ...headers.filter((h) => !h.description).map((h) => `${method} ${path}: ${h.name} is not described`),
        ...names.filter((n, i) => names.indexOf(n) !== i).map((n) => `${method} ${path}: ${n} twice`),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('documents on every operation its success, 401, 403 and 503, and each error status with one named body', () => {
    const bodies = new Map<string, Set<string | undefined>>();
    const problems = conformance.operations().flatMap(({ method, path, operation }) => {
      const statuses = Object.keys(operation.responses);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const schema = conformance.response(operation, Number(status))?.content?.['application/json']?.schema;
        bodies.set(
          status,
          (bodies.get(status) ?? new Set()).add((schema as ReferenceObject | undefined)?.$ref),
        );
      }
      return [
        ...(statuses.some((s) => s.startsWith('2')) ? [] : ['a success']),
        ...['401', '403', '503'].filter((s) => !statuses.includes(s)),
      ].map((missing) => `${method} ${path}: no ${missing}`);
    });
    expect(problems).toEqual([]);
    for (const [status, refs] of bodies)
      expect([status, ...refs]).toEqual([
        status,
        expect.stringMatching(/^#\/components\/schemas\/\w*ErrorResponse$/),
      ]);
  });

  it('documents the status each handler answers with by default', () => {
    const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, AppModule) as Type[];
    const problems = conformance.operations().flatMap(({ method, path, operation }) => {
      // Nest names operations Controller_method.
      const [controllerName, handlerName] = (operation.operationId ?? '').split('_');
      const controller = controllers.find((c) => c.name === controllerName);
      const handler = (controller?.prototype as Record<string, object> | undefined)?.[handlerName ?? ''];
      if (!handler) return [`${method} ${path}: no handler ${operation.operationId}`];
      const status =
        (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
        (Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST
          ? HttpStatus.CREATED
          : HttpStatus.OK);
      return operation.responses[String(status)] ? [] : [`${method} ${path}: no ${status}`];
    });
    expect(problems).toEqual([]);
  });

  it('documents the 200 of a retried create beside its 201 wherever Idempotency-Key is accepted', () => {
    const keyed = conformance
      .operations()
      .filter(({ operation }) =>
        conformance.headerParameters(operation).some((p) => p.name === 'Idempotency-Key'),
      )
      .map(({ method, path, operation }) => [
        `${method} ${path}`,
        Object.keys(operation.responses).filter((s) => s.startsWith('2')),
      ]);
    // Queuing an email is 202, first time or retry.
    expect(Object.fromEntries(keyed)).toEqual({
      'post /api/v1/email-activities': ['202'],
      'post /api/v1/email-server-profiles': ['200', '201'],
      'post /api/v1/mailboxes': ['200', '201'],
    });
  });

  it('documents 409 wherever If-Match is accepted, and 412 nowhere: a stale If-Match is a 409', () => {
    const problems = conformance
      .operations()
      .flatMap(({ method, path, operation }) => [
        ...(conformance.headerParameters(operation).some((p) => p.name === 'If-Match') &&
        !operation.responses['409']
          ? [`${method} ${path}: If-Match without 409`]
          : []),
        ...(operation.responses['412'] ? [`${method} ${path}: 412`] : []),
      ]);
    expect(problems).toEqual([]);
  });

  it('documents 409 on one mailbox bulk route only: Apply Default Email Settings needs a default profile', () => {
    // A bulk job starts under a new id, so no other check of a bulk route refuses in the current state.
    const bulk = conformance
      .operations()
      .filter(({ path, operation }) => path.startsWith('/api/v1/mailboxes/') && operation.responses['202'])
      .map(({ method, path, operation }) => [`${method} ${path}`, Boolean(operation.responses['409'])]);
    expect(Object.fromEntries(bulk)).toEqual({
      'post /api/v1/mailboxes/apply-default-settings': true,
      'post /api/v1/mailboxes/bulk-edit': false,
      'post /api/v1/mailboxes/approve-email': false,
      'post /api/v1/mailboxes/reject-email': false,
      'post /api/v1/mailboxes/test-and-enable': false,
      'post /api/v1/mailboxes/deactivate': false,
    });
  });

  it('documents on every mailbox bulk route the refusals of a request checked whole before the job starts', () => {
    const problems = conformance
      .operations()
      .filter(({ path, operation }) => path.startsWith('/api/v1/mailboxes/') && operation.responses['202'])
      .flatMap(({ method, path, operation }) =>
        ['400', '401', '403', '413', '415', '422', '503', '504']
          .filter((s) => !operation.responses[s])
          .map((s) => `${method} ${path}: no ${s}`),
      );
    expect(problems).toEqual([]);
  });

  it('lets each write of a record the console edits name the version it changes (optional If-Match)', () => {
    const ifMatch = (method: string, path: string) =>
      conformance
        .headerParameters(document.paths[path]![method as 'put']!)
        .find((p) => p.name === 'If-Match');
    const writes = [
      ['patch', '/api/v1/email-server-profiles/{id}'],
      ['patch', '/api/v1/mailboxes/{id}'],
      ['put', '/api/v1/organization/email-settings'],
    ] as const;
    // `required: false`, not absent: a header that is there and optional.
    expect(writes.map(([method, path]) => [method, path, ifMatch(method, path)?.required])).toEqual(
      writes.map(([method, path]) => [method, path, false]),
    );
  });

  it('names the success body of every operation of the controllers the console calls', () => {
    const consoleControllers =
      /^(Profiles|OrganizationSettings|Mailboxes|Jobs|EmailActivities|Alerts|ServiceAlerts|Session)Controller_/;
    const problems = conformance
      .operations()
      .filter(({ operation }) => consoleControllers.test(operation.operationId ?? ''))
      .flatMap(({ method, path, operation }) =>
        Object.keys(operation.responses)
          .filter((s) => s.startsWith('2'))
          .filter((s) => !conformance.response(operation, Number(s))?.content?.['application/json']?.schema)
          .map((s) => `${method} ${path}: ${s} has no body schema`),
      );
    expect(problems).toEqual([]);
  });

  it('asks for the bearer token on every operation', () => {
    expect(document.security).toEqual([{ bearer: [] }]);
  });

  describe('each error body the API writes fits the schema its status documents', () => {
    // Every operation documents one body schema per error status (checked above): any operation will do.
    const check = (seen: SeenResponse, method = 'patch', path = '/api/v1/email-server-profiles/{id}') =>
      expect(conformance.problems(method, path, seen)).toEqual([]);

    it.each<[string, () => SeenResponse | Promise<SeenResponse>]>([
      [
        '400 from the validation pipe',
        () => filtered(new ValidationFailed([{ field: 'name', rule: 'required', message: 'is required' }])),
      ],
      ['400 refused by an aggregate', () => filtered(refused('validation'))],
      ['404 refused by an aggregate', () => filtered(refused('not-found'))],
      ['409 refused by an aggregate (conflict)', () => filtered(refused('conflict'))],
      ['409 refused by an aggregate (gone)', () => filtered(refused('gone'))],
      [
        '403 for a privilege the handler checks',
        () =>
          filtered(
            caught(() => requireAnyPrivilege({} as Request, Privilege.ProfileAdmin, Privilege.MailboxRead)),
          ),
      ],
      [
        '401 from the guard, with WWW-Authenticate',
        () =>
          guarded(() => {
            throw new AuthenticationError('invalid-token', 'invalid token');
          }),
      ],
      [
        "503 from the guard when the identity provider's keys cannot be fetched, with Retry-After",
        () =>
          guarded(() => {
            throw new SigningKeysUnavailableError();
          }),
      ],
      [
        '403 from the guard',
        () => guarded(() => ({ userId: 'u', name: 'U', privileges: new Set([Privilege.MailboxRead]) })),
      ],
      [
        '503 while this process still reads the log, with Retry-After',
        () => filtered(new ServiceUnavailable('still reading', 1, { behind: { profiles: 12, jobs: null } })),
      ],
      [
        '503 when the broker does not take a command, with Retry-After',
        () => filtered(new CommandBusUnavailableError('cmd-1', 'ECONNREFUSED')),
      ],
      [
        '503 when the database cannot be reached, with Retry-After',
        () =>
          filtered(Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' })),
      ],
      [
        '504 when a command has no outcome in time, with Retry-After',
        () => filtered(new CommandTimeoutError('cmd-2', 30000)),
      ],
    ])('%s', async (_name, respond) => check(await respond()));

    it('422 refused by an aggregate', () =>
      check(filtered(refused('malformed')), 'post', '/api/v1/mailboxes/approve-email'));
  });
});
