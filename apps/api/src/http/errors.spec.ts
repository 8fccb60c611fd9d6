import { ArgumentsHost } from '@nestjs/common';
import { CommandBusUnavailableError, CommandTimeoutError } from '@ssync/messaging';
import { ApiExceptionFilter } from './errors';

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
