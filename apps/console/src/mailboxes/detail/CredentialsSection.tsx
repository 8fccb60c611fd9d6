import { FormEvent, useState } from 'react';
import { ApiProblem, type Mailbox, unwrap } from '../../api/client';
import { useApi } from '../../api/context';
import { Field } from '../../ui/Field';
import { ProblemNotice, StatusNotice } from '../../ui/Notice';
import { asProblem } from '../../ui/use-load';
import { credentialViolations } from './credentials-form';
import { Section } from './Section';

/**
 * The mailbox's own credentials, for a profile that authenticates with credentials specified by a user or queue.
 * Write-only: the password field always starts empty and nothing the API stores is shown but whether a password
 * is set. The API judges the rest (P-6: HTTPS unless the deployment allows otherwise; a profile that uses them).
 */
export function CredentialsSection({
  mailbox,
  onSaved,
}: {
  mailbox: Mailbox;
  onSaved: (m: Mailbox) => void;
}) {
  const api = useApi();
  const [userName, setUserName] = useState(mailbox.credentialsUserName ?? '');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField: errors, others } = credentialViolations(problem?.violations ?? []);
  // Violations no field here can show go above the form, with the API's message when it named none.
  const rest =
    problem && (problem.violations.length === 0 || others.length > 0)
      ? new ApiProblem(problem.status, problem.message, others)
      : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    setSaved(null);
    try {
      const view = await unwrap(
        api.PUT('/api/v1/mailboxes/{id}/credentials', {
          params: { path: { id: mailbox.id } },
          body: { userName, password },
        }),
      );
      setPassword('');
      setSaved('Credentials saved.');
      onSaved(view);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section id="mailbox-credentials" title="Credentials">
      <p>
        Used when the mailbox&apos;s email server profile authenticates with Credentials Specified by a User
        or Queue. {mailbox.credentialsSet ? 'A password is stored.' : 'No password is stored.'}
      </p>
      <ProblemNotice problem={rest} />
      <form noValidate onSubmit={(e) => void submit(e)} aria-label="Set credentials">
        <Field id="credentials-userName" label="User Name" error={errors.get('userName')}>
          {(control) => (
            <input
              {...control}
              type="text"
              value={userName}
              autoComplete="off"
              onChange={(e) => setUserName(e.target.value)}
            />
          )}
        </Field>
        <Field
          id="credentials-password"
          label="Password"
          error={errors.get('password')}
          hint={
            mailbox.credentialsSet
              ? 'A password is stored; it is never shown. Type one to replace it.'
              : undefined
          }
        >
          {(control) => (
            <input
              {...control}
              type="password"
              value={password}
              autoComplete="new-password"
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <div className="commands">
          <button type="submit" className="primary" disabled={busy}>
            Save Credentials
          </button>
        </div>
        <StatusNotice text={saved} />
      </form>
    </Section>
  );
}
