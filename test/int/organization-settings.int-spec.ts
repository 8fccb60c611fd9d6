import request from 'supertest';
import { eventCount, testNamespace } from '../support/env';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';

const SETTINGS = '/api/v1/organization/email-settings';

describe('organization email settings: a stale If-Match is refused and changes nothing (issue #13)', () => {
  const ns = testNamespace('org-settings');
  const DEV_TOKEN = 'dev-token-org-settings-int-test';
  let stack: InProcessStack;
  const http = () => request.agent(stack.url).set('Authorization', `Bearer ${DEV_TOKEN}`);

  beforeAll(async () => {
    stack = await startInProcessStack(ns, { SSYNC_DEV_TOKEN: DEV_TOKEN });
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
  });

  it('saves at the version it read, refuses a write at an older one with 409, and saves without If-Match', async () => {
    const unsaved = await http().get(SETTINGS).expect(200);
    expect([unsaved.headers.etag, unsaved.body.version]).toEqual(['"0"', 0]);

    const mine = await http()
      .put(SETTINGS)
      .set('If-Match', unsaved.headers.etag as string)
      .send({ actDeliveryMethod: 'Outlook' })
      .expect(200);
    expect([mine.headers.etag, mine.body]).toEqual(['"1"', expect.objectContaining({ version: 1 })]);
    const events = await eventCount(ns, 'organization');

    // Someone who read version 0 saves over it: refused, as a stale profile is (409, same body).
    const stale = await http()
      .put(SETTINGS)
      .set('If-Match', '"0"')
      .send({ actDeliveryMethod: 'None', processEmailsOnlyForApprovedUsers: false })
      .expect(409);
    expect(stale.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'version is 1, not 0',
      violations: [],
    });
    expect(await eventCount(ns, 'organization')).toBe(events);
    const read = await http().get(SETTINGS).set('X-Min-Version', '1').expect(200);
    expect(read.body).toMatchObject({
      version: 1,
      actDeliveryMethod: 'Outlook',
      processEmailsOnlyForApprovedUsers: true,
    });

    // If-Match is optional: without it, the write applies to the version that is current.
    const blind = await http().put(SETTINGS).send({ actDeliveryMethod: 'None' }).expect(200);
    expect(blind.body).toMatchObject({ version: 2, actDeliveryMethod: 'None' });
  });
});
