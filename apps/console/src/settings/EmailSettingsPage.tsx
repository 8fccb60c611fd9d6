import { FormEvent, useEffect, useState } from 'react';
import { type ApiProblem, type OrganizationEmailSettings, type Violation, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { CheckboxField, ChoiceField, Field } from '../ui/Field';
import { ProblemNotice, StatusNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { violationsByField } from '../ui/violations';
import { ACT_LABELS, INCOMING_LABELS, OUTGOING_LABELS } from '../mailboxes/labels';
import { ConflictNotice } from '../ui/ConflictNotice';
import type { Rebased } from '../ui/form-conflict';
import {
  EMAIL_SETTINGS_LABELS,
  type SettingsForm as Settings,
  rebaseSettingsForm,
  settingsFormOf,
} from './settings-conflict';

const CONFLICTED = 'Someone else changed this too: their value is shown; change it again to keep yours';

/**
 * System Settings › Email: the organization's default profile, delivery methods and approval rules (O-1…O-3).
 * A save names the version the form is based on (If-Match); one refused because someone else saved first (409)
 * re-reads the settings, lists their changes and rebases the form on their version, as the profile editor does.
 */
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
  // The version the form is based on: the loaded one, until a save or a conflict moves it on.
  const [base, setBase] = useState<OrganizationEmailSettings | null>(null);
  const [conflict, setConflict] = useState<Rebased<Settings> | null>(null);
  const [violations, setViolations] = useState<Violation[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    document.title = 'System Settings › Email · ssync';
  }, []);
  useEffect(() => {
    if (!loaded.data) return;
    setBase(loaded.data.settings);
    setForm(settingsFormOf(loaded.data.settings));
  }, [loaded.data]);
  const errors = violationsByField(violations);
  // A violation no field here shows (none should) is still said.
  const unplaced = violations.filter((v) => !(v.field in (form ?? {})));
  if (!form || !base || !loaded.data)
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
      // Editing a conflicted field is the user's decision: its mark goes.
      setConflict((c) => c && { ...c, conflicts: c.conflicts.filter((k) => k !== key) });
    };
  const conflicted = new Set(conflict?.conflicts);
  const errorOf = (key: keyof Settings) => errors.get(key) ?? (conflicted.has(key) ? CONFLICTED : undefined);
  const profileName = (id: string) => loaded.data?.profiles.find((p) => p.id === id)?.name;
  /** Rebases the form on the version someone else saved; false when there is none (the 409 meant something else). */
  const rebaseOnNewer = async (opened: OrganizationEmailSettings): Promise<boolean> => {
    let theirs: OrganizationEmailSettings;
    try {
      // The read model may trail the write that beat ours: wait (a moment, at most) for a version past ours.
      theirs = await unwrap(
        api.GET('/api/v1/organization/email-settings', {
          params: { header: { 'X-Min-Version': String(opened.version + 1) } },
        }),
      );
    } catch {
      return false;
    }
    if (theirs.version <= opened.version) return false;
    const rebased = rebaseSettingsForm(form, opened, theirs, profileName);
    setBase(theirs);
    setForm(rebased.form);
    setConflict(rebased);
    setViolations([]);
    return true;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setProblem(null);
    try {
      const saved = await unwrap(
        api.PUT('/api/v1/organization/email-settings', {
          params: { header: { 'If-Match': `"${base.version}"` } },
          body: form,
        }),
      );
      setBase(saved);
      setForm(settingsFormOf(saved));
      setViolations([]);
      setConflict(null);
      setFlash('Saved.');
    } catch (error) {
      const p = asProblem(error);
      if (p.status === 409 && (await rebaseOnNewer(base))) return;
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
      {conflict && (
        <ConflictNotice
          id="settings-conflict-heading"
          title="Someone else saved these settings while you edited them."
          labels={EMAIL_SETTINGS_LABELS}
          conflict={conflict}
        />
      )}
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
              label={EMAIL_SETTINGS_LABELS.defaultServerProfileId}
              error={errorOf('defaultServerProfileId')}
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
              label={EMAIL_SETTINGS_LABELS.incomingEmailDeliveryMethod}
              value={form.incomingEmailDeliveryMethod}
              options={INCOMING_LABELS}
              onChange={set('incomingEmailDeliveryMethod')}
              error={errorOf('incomingEmailDeliveryMethod')}
            />
            <ChoiceField
              id="settings-outgoingEmailDeliveryMethod"
              label={EMAIL_SETTINGS_LABELS.outgoingEmailDeliveryMethod}
              value={form.outgoingEmailDeliveryMethod}
              options={OUTGOING_LABELS}
              onChange={set('outgoingEmailDeliveryMethod')}
              error={errorOf('outgoingEmailDeliveryMethod')}
            />
            <ChoiceField
              id="settings-actDeliveryMethod"
              label={EMAIL_SETTINGS_LABELS.actDeliveryMethod}
              value={form.actDeliveryMethod}
              options={ACT_LABELS}
              onChange={set('actDeliveryMethod')}
              error={errorOf('actDeliveryMethod')}
            />
          </fieldset>
          <fieldset>
            <legend>Email processing for unapproved users and queues</legend>
            <CheckboxField
              id="settings-processEmailsOnlyForApprovedUsers"
              label={EMAIL_SETTINGS_LABELS.processEmailsOnlyForApprovedUsers}
              checked={form.processEmailsOnlyForApprovedUsers}
              onChange={set('processEmailsOnlyForApprovedUsers')}
              error={errorOf('processEmailsOnlyForApprovedUsers')}
            />
            <CheckboxField
              id="settings-processEmailsOnlyForApprovedQueues"
              label={EMAIL_SETTINGS_LABELS.processEmailsOnlyForApprovedQueues}
              checked={form.processEmailsOnlyForApprovedQueues}
              onChange={set('processEmailsOnlyForApprovedQueues')}
              error={errorOf('processEmailsOnlyForApprovedQueues')}
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
