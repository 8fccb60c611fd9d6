import { OpenAPIObject } from '@nestjs/swagger';
import { allowedMethods } from './methods';

const document = {
  openapi: '3.0.0',
  info: { title: 't', version: '1' },
  paths: {
    '/api/v1/mailboxes': { get: { responses: {} }, post: { responses: {} } },
    '/api/v1/mailboxes/{id}': { get: { responses: {} }, patch: { responses: {} } },
    '/api/v1/mailboxes/approve-email': { post: { responses: {} } },
  },
} as unknown as OpenAPIObject;

describe('the methods a documented path allows', () => {
  const allowed = allowedMethods(document);

  it('are its operations, HEAD with GET, and OPTIONS', () => {
    expect(allowed('/api/v1/mailboxes')).toEqual(['GET', 'POST', 'HEAD', 'OPTIONS']);
  });

  it('join every template the path matches: a literal segment also matches {id}', () => {
    expect(allowed('/api/v1/mailboxes/approve-email')?.sort()).toEqual(
      ['GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST'].sort(),
    );
  });

  it('take a parameter as one segment, never two', () => {
    expect(allowed('/api/v1/mailboxes/a/b')).toBeNull();
  });

  it('say nothing of a path the document does not have (a 404 stays a 404)', () => {
    expect(allowed('/api/v1/nothing')).toBeNull();
    expect(allowed('/profiles')).toBeNull();
  });
});
