import { FormEvent, useEffect, useState } from 'react';
import { type ApiProblem, type Violation, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { Link, navigate } from '../router';
import { activityPath } from '../routes';
import { Field } from '../ui/Field';
import { ProblemNotice } from '../ui/Notice';
import { asProblem } from '../ui/use-load';
import { EMPTY_EMAIL, type EmailForm, emailErrors, queueRequestOf } from './email-form';
import { mailboxLabel, useMailboxChoices } from './use-mailbox-choices';

const ADDRESS_HINT =
  'Addresses separated by commas, semicolons or new lines; at most 500 in To and Cc together.';

/**
 * Queues an outgoing email from a mailbox (S-3): the worker that owns the mailbox sends it through Exchange. The
 * API judges what is typed; its violations appear under their fields.
 */
export function NewEmailPage({ mailboxId }: { mailboxId: string | null }) {
  const api = useApi();
  const choices = useMailboxChoices();
  const [form, setForm] = useState<EmailForm>({ ...EMPTY_EMAIL, mailboxId: mailboxId ?? '' });
  const [violations, setViolations] = useState<Violation[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [sending, setSending] = useState(false);
  // One key per email written: a second click, or a retry after a lost answer, queues it once.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  useEffect(() => {
    document.title = 'New Email · ssync';
  }, []);
  const { byField, rest } = emailErrors(violations, form);
  const set = (key: keyof EmailForm) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    setViolations((vs) => vs.filter((v) => !v.field.startsWith(key)));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSending(true);
    setProblem(null);
    setViolations([]);
    try {
      const queued = await unwrap(
        api.POST('/api/v1/email-activities', {
          body: queueRequestOf(form),
          params: { header: { 'Idempotency-Key': idempotencyKey } },
        }),
      );
      navigate(activityPath(queued.id), { state: { minVersion: queued.version } });
    } catch (error) {
      const p = asProblem(error);
      setViolations(p.violations);
      setProblem(p.violations.length > 0 ? null : p);
    } finally {
      setSending(false);
    }
  };

  const chosen = form.mailboxId;
  return (
    <>
      <p className="crumbs">
        <Link to="/email-activities">Email Activities</Link>
      </p>
      <h1 tabIndex={-1}>New Email</h1>
      <ProblemNotice problem={problem ?? choices.problem} />
      {rest.length > 0 && (
        <div className="notice notice-error" role="alert">
          <ul>
            {rest.map((v) => (
              <li key={`${v.field}|${v.rule}`}>
                {v.field}: {v.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <form className="panel" noValidate onSubmit={(e) => void submit(e)} aria-label="New Email">
        <Field
          id="email-mailboxId"
          label="From"
          error={byField.get('mailboxId')}
          hint="The mailbox that sends it"
        >
          {(control) => (
            <select {...control} value={chosen} onChange={(e) => set('mailboxId')(e.target.value)}>
              <option value="">Choose a mailbox</option>
              {chosen && !(choices.data ?? []).some((m) => m.id === chosen) && (
                <option value={chosen}>{chosen}</option>
              )}
              {(choices.data ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {mailboxLabel(m)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="email-to" label="To" error={byField.get('to')} hint={ADDRESS_HINT}>
          {(control) => (
            <input
              {...control}
              type="text"
              value={form.to}
              autoComplete="off"
              onChange={(e) => set('to')(e.target.value)}
            />
          )}
        </Field>
        <Field id="email-cc" label="Cc" error={byField.get('cc')}>
          {(control) => (
            <input
              {...control}
              type="text"
              value={form.cc}
              autoComplete="off"
              onChange={(e) => set('cc')(e.target.value)}
            />
          )}
        </Field>
        <Field id="email-subject" label="Subject" error={byField.get('subject')}>
          {(control) => (
            <input
              {...control}
              type="text"
              value={form.subject}
              onChange={(e) => set('subject')(e.target.value)}
            />
          )}
        </Field>
        <Field id="email-body" label="Body" error={byField.get('body')} hint="Sent as plain text">
          {(control) => (
            <textarea
              {...control}
              rows={10}
              value={form.body}
              onChange={(e) => set('body')(e.target.value)}
            />
          )}
        </Field>
        <div className="commands">
          <button type="submit" className="primary" disabled={sending}>
            Send
          </button>
        </div>
      </form>
    </>
  );
}
