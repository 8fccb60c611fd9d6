import { credentialViolations } from './credentials-form';

describe('where a refused credentials save says why', () => {
  it("puts a field's violation under it, whether the API or the domain names it", () => {
    const { byField, others } = credentialViolations([
      {
        field: 'userName',
        rule: 'secureChannelRequired',
        message: 'credentials can only be entered over HTTPS',
      },
      { field: 'credentials.userName', rule: 'required', message: 'is required' },
      {
        field: 'password',
        rule: 'secureChannelRequired',
        message: 'credentials can only be entered over HTTPS',
      },
    ]);
    expect(byField.get('userName')).toBe('Credentials can only be entered over HTTPS. Is required.');
    expect(byField.get('password')).toBe('Credentials can only be entered over HTTPS.');
    expect(others).toEqual([]);
  });

  it('keeps what no field shows for above the form', () => {
    const refusal = {
      field: 'credentials',
      rule: 'onlyWithUserOrQueueCredentials',
      message: "mailbox credentials are used only when the mailbox's profile authenticates with them",
    };
    const { byField, others } = credentialViolations([refusal]);
    expect(byField.size).toBe(0);
    expect(others).toEqual([refusal]);
  });
});
