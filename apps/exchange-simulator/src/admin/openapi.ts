const ok = (
  description: string,
  schema: Record<string, unknown> = { type: 'object' },
): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema } },
});
const body = (schema: Record<string, unknown>): Record<string, unknown> => ({
  required: true,
  content: { 'application/json': { schema } },
});
const err = {
  '400': ok('Invalid input', { $ref: '#/components/schemas/Error' }),
  '404': ok('Not found', { $ref: '#/components/schemas/Error' }),
};
const smtp = { name: 'smtp', in: 'path', required: true, schema: { type: 'string', format: 'email' } };

/** OpenAPI 3.0 description of the admin API (served at GET /admin/v1/openapi.json). */
export const OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'ssync Exchange simulator — admin API',
    version: '1.0.0',
    description:
      'Seed accounts, mailboxes, impersonation grants and messages; inject faults; read metrics. The EWS endpoint is /EWS/Exchange.asmx, Autodiscover /autodiscover/autodiscover.svc.',
  },
  servers: [{ url: '/admin/v1' }],
  paths: {
    '/accounts': {
      get: {
        summary: 'List accounts',
        responses: {
          '200': ok('Accounts', { type: 'array', items: { $ref: '#/components/schemas/Account' } }),
        },
      },
      post: {
        summary: 'Create an account (Basic and NTLM credentials)',
        requestBody: body({
          type: 'object',
          required: ['userName', 'password'],
          properties: {
            userName: { type: 'string' },
            password: { type: 'string' },
            domain: { type: 'string', default: 'CONTOSO' },
            upn: { type: 'string' },
          },
        }),
        responses: {
          '201': ok('Created', { $ref: '#/components/schemas/Account' }),
          '409': ok('Exists'),
          ...err,
        },
      },
    },
    '/mailboxes': {
      get: {
        summary: 'List mailboxes',
        parameters: [
          { name: 'offset', in: 'query', schema: { type: 'integer' } },
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
        ],
        responses: { '200': ok('Mailboxes') },
      },
      post: {
        summary: 'Create a mailbox with the standard folders',
        requestBody: body({
          type: 'object',
          required: ['smtpAddress'],
          properties: {
            smtpAddress: { type: 'string', format: 'email' },
            displayName: { type: 'string' },
            ownerUserName: { type: 'string' },
          },
        }),
        responses: { '201': ok('Created'), '409': ok('Exists'), ...err },
      },
    },
    '/impersonation-grants': {
      get: { summary: 'List ApplicationImpersonation grants', responses: { '200': ok('Grants') } },
      post: {
        summary: 'Grant an account the ApplicationImpersonation role over all or some mailboxes',
        requestBody: body({
          type: 'object',
          required: ['userName', 'mailboxes'],
          properties: {
            userName: { type: 'string' },
            mailboxes: {
              oneOf: [
                { type: 'string', enum: ['all'] },
                { type: 'array', items: { type: 'string', format: 'email' } },
              ],
            },
          },
        }),
        responses: { '201': ok('Granted'), ...err },
      },
    },
    '/impersonation-grants/{userName}': {
      delete: {
        summary: 'Revoke a grant',
        parameters: [{ name: 'userName', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': ok('Revoked') },
      },
    },
    '/mailboxes/{smtp}/messages': {
      post: {
        summary: 'Deliver a message (to the mailbox and every hosted To/Cc recipient)',
        parameters: [smtp],
        requestBody: body({
          type: 'object',
          required: ['from'],
          properties: {
            from: { type: 'string' },
            to: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
            cc: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
            subject: { type: 'string' },
            body: { type: 'string' },
            bodyType: { type: 'string', enum: ['HTML', 'Text'] },
            receivedAt: { type: 'string', format: 'date-time' },
            internetMessageId: { type: 'string' },
          },
        }),
        responses: { '201': ok('Delivered'), ...err },
      },
    },
    '/messages/bulk': {
      post: {
        summary: 'Generate N messages in each of M mailboxes (creating mailboxes, optionally accounts)',
        requestBody: body({
          type: 'object',
          properties: {
            mailboxes: { type: 'array', items: { type: 'string' } },
            mailboxCount: { type: 'integer' },
            messagesPerMailbox: { type: 'integer' },
            prefix: { type: 'string' },
            domain: { type: 'string' },
            createAccounts: { type: 'boolean' },
            password: { type: 'string' },
            bodySize: { type: 'integer' },
          },
        }),
        responses: { '201': ok('Generated') },
      },
    },
    '/mailboxes/{smtp}/folders': {
      get: {
        summary: "List a mailbox's folders",
        parameters: [smtp],
        responses: { '200': ok('Folders'), ...err },
      },
    },
    '/mailboxes/{smtp}/folders/{folder}/items': {
      get: {
        summary:
          "List a folder's items (folder = distinguished id such as inbox, a display name, or a folder id)",
        parameters: [smtp, { name: 'folder', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': ok('Items'), ...err },
      },
    },
    '/faults': {
      get: { summary: 'List fault rules', responses: { '200': ok('Rules') } },
      post: {
        summary: 'Add a fault rule',
        requestBody: body({ $ref: '#/components/schemas/FaultRule' }),
        responses: { '201': ok('Added'), ...err },
      },
      delete: { summary: 'Clear all fault rules', responses: { '200': ok('Cleared') } },
    },
    '/faults/{id}': {
      delete: {
        summary: 'Remove a fault rule',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': ok('Removed'), ...err },
      },
    },
    '/metrics': {
      get: {
        summary: 'Requests per operation, errors, current and high-water concurrency per account and mailbox',
        responses: { '200': ok('Metrics') },
      },
    },
    '/metrics/reset': {
      post: { summary: 'Reset counters and high-water marks', responses: { '200': ok('Reset') } },
    },
    '/request-log': {
      get: {
        summary:
          'The last EWS requests, oldest first: {time, account, mailbox (impersonated or own), impersonated, operation, status}',
        parameters: [
          { name: 'mailbox', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'operation', in: 'query', required: false, schema: { type: 'string' } },
          {
            name: 'since',
            in: 'query',
            required: false,
            schema: { type: 'string' },
            description: 'ms since the epoch or an ISO 8601 time',
          },
        ],
        responses: { '200': ok('Request log') },
      },
      delete: { summary: 'Empty the request log', responses: { '200': ok('Cleared') } },
    },
    '/throttling': {
      get: { summary: 'Throttling policy', responses: { '200': ok('Policy') } },
      put: {
        summary: 'Change the throttling policy',
        requestBody: body({
          type: 'object',
          properties: {
            maxConcurrency: { type: 'integer' },
            concurrencyError: { type: 'string', enum: ['ErrorServerBusy', 'ErrorExceededConnectionCount'] },
            backOffMs: { type: 'integer' },
            rateLimit: { type: 'integer' },
            rateWindowMs: { type: 'integer' },
          },
        }),
        responses: { '200': ok('Policy') },
      },
    },
    '/snapshot': {
      post: {
        summary: 'Write the state snapshot now',
        responses: { '200': ok('Saved'), '409': ok('No snapshot path configured') },
      },
    },
  },
  components: {
    schemas: {
      Error: { type: 'object', properties: { error: { type: 'string' } } },
      Account: {
        type: 'object',
        properties: {
          userName: { type: 'string' },
          domain: { type: 'string' },
          upn: { type: 'string' },
          sid: { type: 'string' },
        },
      },
      FaultRule: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: {
            type: 'string',
            enum: [
              'latency',
              'http503',
              'serverBusy',
              'connectionReset',
              'authFailure',
              'invalidSyncState',
              'html500',
            ],
          },
          account: { type: 'string' },
          mailbox: { type: 'string' },
          operation: { type: 'string' },
          probability: { type: 'number', minimum: 0, maximum: 1 },
          count: { type: 'integer' },
          latencyMs: { type: 'integer' },
          backOffMs: { type: 'integer' },
          as: { type: 'string', enum: ['fault', 'message'] },
        },
      },
    },
  },
} as const;
