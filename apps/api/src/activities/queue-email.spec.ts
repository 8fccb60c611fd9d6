import { ACTIVITY_LIMITS } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import { ValidationFailed } from '../http/errors';
import { apiValidationPipe } from '../http/validation';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { QueueEmail, QueueEmailHandler } from './activity.commands';
import { QueueEmailDto } from './activity.dto';

const addresses = (n: number, domain = 'fabrikam.test') =>
  Array.from({ length: n }, (_, i) => `u${i}@${domain}`);
const email = (to: string[], cc?: string[]) => ({
  mailboxId: 'mbx-1',
  direction: 'Outgoing',
  to,
  ...(cc ? { cc } : {}),
  subject: 'Hello',
  body: 'Hi',
});

async function refusal(act: () => Promise<unknown>): Promise<ValidationFailed['violations']> {
  try {
    await act();
  } catch (error) {
    if (error instanceof ValidationFailed) return error.violations;
    throw error;
  }
  throw new Error('not refused');
}

describe('recipients of an outgoing email are bounded at the API edge (issue #14)', () => {
  const pipe = apiValidationPipe();
  const validate = (body: unknown) =>
    pipe.transform(body, { type: 'body', metatype: QueueEmailDto }) as Promise<QueueEmailDto>;

  // The directory answers no mailbox: a request that gets that far was not refused for its recipients.
  const directory = { get: jest.fn().mockResolvedValue(undefined) };
  const handler = new QueueEmailHandler({} as KafkaCommandGateway, directory as unknown as MailboxDirectory);
  beforeEach(() => directory.get.mockClear());

  it(`refuses more than ${ACTIVITY_LIMITS.recipients} addresses in to, naming the field and the rule once`, async () => {
    const violations = await refusal(() => validate(email(addresses(ACTIVITY_LIMITS.recipients + 1))));
    expect(violations).toEqual([
      { field: 'to', rule: 'maxItems', message: 'must have at most 500 addresses (to and cc together)' },
    ]);
  });

  it('refuses too many in cc alike', async () => {
    const violations = await refusal(() => validate(email(['a@fabrikam.test'], addresses(501))));
    expect(violations.map((v) => [v.field, v.rule])).toEqual([['cc', 'maxItems']]);
  });

  it('refuses to and cc together over the bound before reading any address', async () => {
    // Not one of these is an address: had they been checked, there would be 501 violations.
    const input = await validate(email(addresses(300, ''), addresses(201, '')));
    const violations = await refusal(() => handler.execute(new QueueEmail('dev-admin', input)));
    expect(violations).toEqual([
      {
        field: 'cc',
        rule: 'maxItems',
        message: 'to and cc together must have at most 500 addresses; they have 501',
      },
    ]);
    expect(directory.get).not.toHaveBeenCalled();
  });

  it('takes exactly the bound, to and cc together', async () => {
    const input = await validate(email(addresses(250), addresses(250, 'contoso.test')));
    await expect(handler.execute(new QueueEmail('dev-admin', input))).rejects.toMatchObject({ status: 404 });
    expect(directory.get).toHaveBeenCalledWith('mbx-1');
  });
});
