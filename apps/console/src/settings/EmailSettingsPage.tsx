import { FormEvent, useEffect, useState } from 'react';
import { type ApiProblem, type OrganizationEmailSettings, type Violation, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { CheckboxField, ChoiceField, Field } from '../ui/Field';
import { ProblemNotice, StatusNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { violationsByField } from '../ui/violations';
import { ACT_LABELS, INCOMING_LABELS, OUTGOING_LABELS } from '../mailboxes/labels';

type Settings = Omit<OrganizationEmailSettings, 'version'>;

/** System Settings › Email: the organization's default profile, delivery methods and approval rules (O-1…O-3). */
export function EmailSettingsPage() {
  const api = useApi();
  const loaded = useLoad('email-settings', async () => {
    const [settings, profiles] = await Promise.all([
      unwrap(api.GET('/api/v1/organization/email-settings')),
      unwrap(
        api.GET('/api/v1/email-server-profiles', { params: { query: { status: 'Active', limit: 200 } } }),
      ),
    ]);
    return { settings, profiles: profiles.items };
  });
  const [form, setForm] = useState<Settings | null>(null);
  const [violations, setViolations] = useState<Violation[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    document.title = 'System Settings › Email · ssync';
  }, []);
  useEffect(() => {
    if (!loaded.data) return;
    const { version: _version, ...settings } = loaded.data.settings;
    setForm(settings);
  }, [loaded.data]);
  const errors = violationsByField(violations);
  // A violation no field here shows (none should) is still said.
  const unplaced = violations.filter((v) => !(v.field in (form ?? {})));
  if (!form || !loaded.data)
    return (
      <>
        <h1 tabIndex={-1}>System Settings › Email</h1>
        {loaded.problem ? <ProblemNotice problem={loaded.problem} /> : <p>Loading…</p>}
      </>
    );

  const set =
    <K extends keyof Settings>(key: K) =>
    (value: Settings[K]) => {
      setForm({ ...form, [key]: value });
      setFlash(null);
    };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setProblem(null);
    try {
      const { version: _version, ...saved } = await unwrap(
        api.PUT('/api/v1/organization/email-settings', { body: form }),
      );
      setForm(saved);
      setViolations([]);
      setFlash('Saved.');
    } catch (error) {
      const p = asProblem(error);
      setViolations(p.violations);
      setProblem(p.violations.length > 0 ? null : p);
    } finally {
      setSaving(false);
    }
  };
  // The default may be a profile deactivated since: it is still shown, as such.
  const profiles = loaded.data.profiles;
  const unlisted = form.defaultServerProfileId && !profiles.some((p) => p.id === form.defaultServerProfileId);

  return (
    <>
      <h1 tabIndex={-1}>System Settings › Email</h1>
      <StatusNotice text={flash} />
      <ProblemNotice problem={problem} />
      {unplaced.length > 0 && (
        <div className="notice notice-error" role="alert">
          <ul>
            {unplaced.map((v) => (
              <li key={`${v.field}:${v.rule}`}>
                {v.field}: {v.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <form noValidate onSubmit={(e) => void submit(e)} aria-busy={saving}>
        <fieldset disabled={saving} className="sections">
          <fieldset>
            <legend>Configure default synchronization method</legend>
            <Field
              id="settings-defaultServerProfileId"
              label="Server Profile"
              error={errors.get('defaultServerProfileId')}
            >
              {(control) => (
                <select
                  {...control}
                  value={form.defaultServerProfileId ?? ''}
                  onChange={(e) => set('defaultServerProfileId')(e.target.value || null)}
                >
                  <option value="">(none)</option>
                  {profiles.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                  {unlisted && (
                    <option value={form.defaultServerProfileId ?? ''}>
                      {form.defaultServerProfileId} (inactive)
                    </option>
                  )}
                </select>
              )}
            </Field>
            <ChoiceField
              id="settings-incomingEmailDeliveryMethod"
              label="Incoming Email"
              value={form.incomingEmailDeliveryMethod}
              options={INCOMING_LABELS}
              onChange={set('incomingEmailDeliveryMethod')}
              error={errors.get('incomingEmailDeliveryMethod')}
            />
            <ChoiceField
              id="settings-outgoingEmailDeliveryMethod"
              label="Outgoing Email"
              value={form.outgoingEmailDeliveryMethod}
              options={OUTGOING_LABELS}
              onChange={set('outgoingEmailDeliveryMethod')}
              error={errors.get('outgoingEmailDeliveryMethod')}
            />
            <ChoiceField
              id="settings-actDeliveryMethod"
              label="Appointments, Contacts, and Tasks"
              value={form.actDeliveryMethod}
              options={ACT_LABELS}
              onChange={set('actDeliveryMethod')}
              error={errors.get('actDeliveryMethod')}
            />
          </fieldset>
          <fieldset>
            <legend>Email processing for unapproved users and queues</legend>
            <CheckboxField
              id="settings-processEmailsOnlyForApprovedUsers"
              label="Process emails only for approved users"
              checked={form.processEmailsOnlyForApprovedUsers}
              onChange={set('processEmailsOnlyForApprovedUsers')}
              error={errors.get('processEmailsOnlyForApprovedUsers')}
            />
            <CheckboxField
              id="settings-processEmailsOnlyForApprovedQueues"
              label="Process emails only for approved queues"
              checked={form.processEmailsOnlyForApprovedQueues}
              onChange={set('processEmailsOnlyForApprovedQueues')}
              error={errors.get('processEmailsOnlyForApprovedQueues')}
            />
          </fieldset>
        </fieldset>
        <div className="commands">
          <button type="submit" className="primary" disabled={saving}>
            OK
          </button>
        </div>
      </form>
    </>
  );
}
