import { EMPTY_EMAIL, emailErrors, queueRequestOf, recipientsOf } from './email-form';

describe('the New Email form', () => {
  it('reads addresses separated by commas, semicolons or lines, ignoring blanks', () => {
    expect(recipientsOf(' ann@contoso.test; bob@contoso.test,\ncyd@contoso.test ,, ')).toEqual([
      'ann@contoso.test',
      'bob@contoso.test',
      'cyd@contoso.test',
    ]);
    expect(recipientsOf('  ')).toEqual([]);
  });

  it('sends its body as text, and no cc when none is typed', () => {
    expect(
      queueRequestOf({ ...EMPTY_EMAIL, mailboxId: 'm1', to: 'a@b.test', subject: 'Hi', body: '<b>x</b>' }),
    ).toEqual({
      mailboxId: 'm1',
      direction: 'Outgoing',
      to: ['a@b.test'],
      subject: 'Hi',
      body: '<b>x</b>',
      bodyType: 'Text',
    });
  });

  it("shows each violation under its field, an address's under its list with the address it means", () => {
    const form = { ...EMPTY_EMAIL, to: 'ann@contoso.test; nope', cc: 'x' };
    const { byField, rest } = emailErrors(
      [
        { field: 'to[1]', rule: 'smtpAddress', message: 'must be an SMTP address' },
        { field: 'cc', rule: 'maxItems', message: 'to and cc together must have at most 500 addresses' },
        { field: 'mailboxId', rule: 'mailboxActive', message: 'mailbox m1 is deactivated' },
        { field: 'bodyType', rule: 'enum', message: 'must be one of Text, HTML' },
      ],
      form,
    );
    expect(Object.fromEntries(byField)).toEqual({
      to: '"nope" must be an SMTP address.',
      cc: 'To and cc together must have at most 500 addresses.',
      mailboxId: 'Mailbox m1 is deactivated.',
    });
    expect(rest.map((v) => v.field)).toEqual(['bodyType']);
  });
});
