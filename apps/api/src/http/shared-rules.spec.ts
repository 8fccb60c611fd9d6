import { OpenAPIObject } from '@nestjs/swagger';
import { ID, USER_ID } from './request-context';
import { NON_BLANK, withSharedRules } from './openapi';

const document = (): OpenAPIObject =>
  ({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/api/v1/users/{userId}/alerts/{alertId}/dismiss': {
        post: {
          parameters: [
            { name: 'userId', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'alertId', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: {},
        },
      },
      '/api/v1/mailboxes/bulk-edit': {
        post: {
          parameters: [{ name: 'id', in: 'query', schema: { type: 'string' } }],
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/BulkEdit' } } },
          },
          responses: {},
        },
      },
    },
    components: {
      schemas: {
        BulkEdit: {
          type: 'object',
          properties: {
            mailboxIds: { type: 'array', items: { type: 'string' } },
            changes: { $ref: '#/components/schemas/Changes' },
          },
        },
        Changes: {
          type: 'object',
          properties: {
            actDeliveryMethod: { type: 'string', enum: ['None'] },
            name: { type: 'string', pattern: NON_BLANK },
            note: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
        MailboxView: { type: 'object', properties: { id: { type: 'string' } } },
      },
    },
  }) as unknown as OpenAPIObject;

describe("the document's shared rules", () => {
  it('give each path id the pattern its controller checks, and a query no NUL', () => {
    const doc = withSharedRules(document());
    const [userId, alertId] = doc.paths['/api/v1/users/{userId}/alerts/{alertId}/dismiss']!.post!.parameters!;
    expect(userId).toMatchObject({ schema: { pattern: USER_ID.source } });
    expect(alertId).toMatchObject({ schema: { pattern: ID.source } });
    const [query] = doc.paths['/api/v1/mailboxes/bulk-edit']!.post!.parameters!;
    // A query's text: only the NUL the pipe refuses, not a path id's pattern.
    expect(query).toEqual({ name: 'id', in: 'query', schema: { type: 'string', pattern: '^[^\\x00]*$' } });
    expect(new RegExp((query as { schema: { pattern: string } }).schema.pattern).test('a\u0000b')).toBe(
      false,
    );
  });

  it('close every object a request body holds, as the validation pipe refuses unknown fields, and no other', () => {
    const { schemas } = withSharedRules(document()).components!;
    expect(schemas!.BulkEdit).toMatchObject({ additionalProperties: false });
    expect(schemas!.Changes).toMatchObject({ additionalProperties: false });
    expect(schemas!.MailboxView).not.toHaveProperty('additionalProperties');
  });

  it("refuse NUL in a body's text, as the validation pipe does, wherever no other rule already does", () => {
    const { schemas } = withSharedRules(document()).components!;
    const changes = schemas!.Changes as { properties: Record<string, { pattern?: string }> };
    const items = (schemas!.BulkEdit as { properties: { mailboxIds: { items: { pattern?: string } } } })
      .properties.mailboxIds.items;
    const refuses = (pattern: string | undefined, text: string) => !new RegExp(pattern ?? '').test(text);
    expect(refuses(changes.properties.note!.pattern, 'a\u0000b')).toBe(true);
    expect(refuses(items.pattern, '\u0000')).toBe(true);
    expect(refuses(changes.properties.name!.pattern, 'a\u0000b')).toBe(true);
    expect([changes.properties.actDeliveryMethod, changes.properties.at]).toEqual([
      { type: 'string', enum: ['None'] },
      { type: 'string', format: 'date-time' },
    ]);
  });

  it('mean by non-blank what trim() means', () => {
    const nonBlank = new RegExp(NON_BLANK);
    expect([' x ', 'Ada'].every((t) => nonBlank.test(t))).toBe(true);
    expect(['', '   ', '\t\n', '\uFEFF', ' \u0000x'].some((t) => nonBlank.test(t))).toBe(false);
  });
});
