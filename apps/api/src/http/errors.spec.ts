import { ArgumentsHost } from '@nestjs/common';
import { CommandBusUnavailableError, CommandTimeoutError } from '@ssync/messaging';
import { ApiExceptionFilter, CommandRefused, ValidationFailed } from './errors';

function respond(exception: unknown) {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    headersSent: false,
    setHeader: (k: string, v: string) => (out.headers[k] = v),
    status: (code: number) => {
      out.status = code;
      return res;
    },
    json: (body: unknown) => {
      out.body = body;
      return res;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return out;
}

const named = (name: string, message = 'x'): Error => Object.assign(new Error(message), { name });

describe('ApiExceptionFilter: dependency faults (issue #11)', () => {
  it('a command the broker did not take is a 503 naming the command, with Retry-After', () => {
    const out = respond(new CommandBusUnavailableError('cmd-1', 'Connection error: ECONNREFUSED'));
    expect(out.status).toBe(503);
    expect(out.headers['Retry-After']).toBe('5');
    expect(out.body).toMatchObject({ commandId: 'cmd-1', dependency: 'kafka', retryAfterSeconds: 5 });
  });

  it('a command whose outcome is unknown is a 504 naming the command, with Retry-After', () => {
    const out = respond(new CommandTimeoutError('cmd-2', 30000));
    expect(out.status).toBe(504);
    expect(out.headers['Retry-After']).toBe('5');
    expect(out.body).toMatchObject({ commandId: 'cmd-2' });
  });

  it.each([
    'MongoServerSelectionError',
    'MongooseServerSelectionError',
    'MongoNetworkError',
    'MongoNetworkTimeoutError',
    'MongoNotConnectedError',
    'MongoTopologyClosedError',
    'MongoPoolClearedError',
  ])('a database that cannot be reached (%s) is a 503 with Retry-After, not a 500', (name) => {
    const out = respond(named(name, 'connect ECONNREFUSED 127.0.0.1:27017'));
    expect(out.status).toBe(503);
    expect(out.headers['Retry-After']).toBe('5');
    expect(out.body).toMatchObject({ dependency: 'mongodb' });
    expect(JSON.stringify(out.body)).not.toContain('27017');
  });

  it('any other error is a 500 that says nothing of it', () => {
    const out = respond(new Error('boom at mongodb://127.0.0.1:27017'));
    expect(out.status).toBe(500);
    expect(JSON.stringify(out.body)).not.toContain('27017');
  });
});

describe('a refusal naming a record that cannot take it (issue #13)', () => {
  const missing = { field: 'serverProfileId', rule: 'profileExists', message: 'does not exist' };
  const inactive = { field: 'changes.serverProfileId', rule: 'profileActive', message: 'is deactivated' };
  const blank = { field: 'name', rule: 'required', message: 'is required' };

  it('is a 422 naming the field, whether the API or an aggregate refuses it', () => {
    expect(respond(new ValidationFailed([inactive]))).toMatchObject({
      status: 422,
      body: { statusCode: 422, error: 'Unprocessable Entity', violations: [inactive] },
    });
    expect(
      respond(new CommandRefused({ kind: 'validation', message: 'x', violations: [missing] })),
    ).toMatchObject({
      status: 422,
      body: { statusCode: 422, error: 'Unprocessable Entity', violations: [missing] },
    });
  });

  it('stays a 400 when the request also breaks a rule of its own', () => {
    expect(respond(new ValidationFailed([blank, missing]))).toMatchObject({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request' },
    });
  });

  it('a state that rules the request out is a 409 with its violation', () => {
    const violation = { field: 'credentials', rule: 'onlyWithUserOrQueueCredentials', message: 'not used' };
    expect(
      respond(new CommandRefused({ kind: 'conflict', message: 'not used', violations: [violation] })),
    ).toMatchObject({ status: 409, body: { error: 'Conflict', violations: [violation] } });
  });
});
