import { FormEvent, useState } from 'react';
import { type ApiProblem, type Profile, type Violation, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { ChoiceField, Field, YesNoField } from '../ui/Field';
import { ProblemNotice } from '../ui/Notice';
import { asProblem } from '../ui/use-load';
import { type RebasedProfile, rebaseProfileForm } from './profile-conflict';
import { ConflictNotice } from '../ui/ConflictNotice';
import { violationsByField } from '../ui/violations';
import {
  AUTHENTICATE_USING_LABELS,
  NEW_PROFILE,
  PROFILE_LABELS,
  PROTOCOL_LABELS,
  ProfileForm,
  createBody,
  formFromProfile,
  updateBody,
  visibleFields,
  withSameSettingsForOutgoing,
} from './profile-form';

export const PROFILE_FORM_ID = 'profile-form';
type TextField = {
  [K in keyof ProfileForm]: ProfileForm[K] extends string ? K : never;
}[keyof ProfileForm];
const fieldId = (key: string) => `profile-${key}`;

/**
 * The seed's form, section by section: General, Credentials, Advanced, Additional Settings. Fields come and go with
 * the settings that govern them. The API judges what is typed: its violations appear beside their fields, and
 * the ones no visible field can show are listed above the form. A save refused because someone else saved first
 * (409 against If-Match) re-reads the profile, lists their changes and rebases the form on their version, so the
 * next Save goes through.
 */
export function ProfileEditor(props: {
  stored: Profile | null;
  readOnly: boolean;
  onSaved: (profile: Profile) => void;
}) {
  const { stored, readOnly, onSaved } = props;
  const api = useApi();
  const [form, setForm] = useState<ProfileForm>(() => (stored ? formFromProfile(stored) : NEW_PROFILE));
  // The version the form is based on: the stored one, until a conflict rebases the form on a newer one.
  const [base, setBase] = useState<Profile | null>(stored);
  const [conflict, setConflict] = useState<RebasedProfile | null>(null);
  const [violations, setViolations] = useState<Violation[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saving, setSaving] = useState(false);
  const errors = violationsByField(violations);
  const visible = visibleFields(form);
  const show = (key: keyof ProfileForm) => visible.has(key);
  // Editing a field answers its complaint; the others stay until the next save.
  const set =
    <K extends keyof ProfileForm>(key: K) =>
    (value: ProfileForm[K]) => {
      setForm((f) => ({ ...f, [key]: value }));
      setViolations((vs) => vs.filter((v) => v.field !== key));
      settle(key);
    };
  const conflicted = new Set(conflict?.conflicts);
  // Editing a conflicted field is the user's decision: its mark goes.
  const settle = (key: keyof ProfileForm) =>
    setConflict((c) => c && { ...c, conflicts: c.conflicts.filter((k) => k !== key) });
  const common = (key: keyof ProfileForm) => ({
    id: fieldId(key),
    label: PROFILE_LABELS[key],
    error:
      errors.get(key) ??
      (conflicted.has(key)
        ? 'Someone else changed this too: their value is shown; change it again to keep yours'
        : undefined),
  });
  const setText = (key: TextField, value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    setViolations((vs) => vs.filter((v) => v.field !== key));
    settle(key);
  };
  const text = (key: TextField, type: 'text' | 'url' | 'password' = 'text', hint?: string) => (
    <Field {...common(key)} hint={hint}>
      {(control) => (
        <input
          {...control}
          type={type}
          value={form[key]}
          autoComplete={type === 'password' ? 'new-password' : 'off'}
          onChange={(e) => setText(key, e.target.value)}
        />
      )}
    </Field>
  );
  const number = (key: TextField, min: number, max: number, hint: string) => (
    <Field {...common(key)} hint={hint}>
      {(control) => (
        <input
          {...control}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          value={form[key]}
          onChange={(e) => setText(key, e.target.value)}
        />
      )}
    </Field>
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setProblem(null);
    try {
      const saved = base
        ? await unwrap(
            api.PATCH('/api/v1/email-server-profiles/{id}', {
              params: { path: { id: base.id }, header: { 'If-Match': `"${base.version}"` } },
              body: updateBody(form, base),
            }),
          )
        : await unwrap(api.POST('/api/v1/email-server-profiles', { body: createBody(form) }));
      setViolations([]);
      setConflict(null);
      onSaved(saved);
    } catch (error) {
      const p = asProblem(error);
      if (p.status === 409 && base && (await rebaseOnNewer(base))) return;
      setViolations(p.violations);
      setProblem(p.violations.length > 0 ? null : p);
    } finally {
      setSaving(false);
    }
  };

  /** Rebases the form on the version someone else saved; false when there is none (the 409 meant something else). */
  const rebaseOnNewer = async (opened: Profile): Promise<boolean> => {
    let theirs: Profile;
    try {
      // The read model may trail the write that beat ours: wait (a moment, at most) for a version past ours.
      theirs = await unwrap(
        api.GET('/api/v1/email-server-profiles/{id}', {
          params: { path: { id: opened.id }, header: { 'X-Min-Version': String(opened.version + 1) } },
        }),
      );
    } catch {
      return false;
    }
    if (theirs.version <= opened.version) return false;
    const rebased = rebaseProfileForm(form, opened, theirs);
    setBase(theirs);
    setForm(rebased.form);
    setConflict(rebased);
    setViolations([]);
    return true;
  };

  const unplaced = violations.filter((v) => !visible.has(v.field as keyof ProfileForm));

  return (
    <form id={PROFILE_FORM_ID} noValidate onSubmit={(e) => void submit(e)} aria-busy={saving}>
      {violations.length > 0 && (
        <div className="notice notice-error" role="alert">
          <p>
            The profile was not saved:{' '}
            {violations.length === 1 ? 'one field needs' : `${violations.length} fields need`} attention.
          </p>
          {unplaced.length > 0 && (
            <ul>
              {unplaced.map((v) => (
                <li key={`${v.field}:${v.rule}`}>
                  {PROFILE_LABELS[v.field as keyof ProfileForm] ?? v.field}: {v.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <ProblemNotice problem={problem} />
      {conflict && (
        <ConflictNotice
          id="profile-conflict-heading"
          title="Someone else saved this profile while you edited it."
          labels={PROFILE_LABELS}
          conflict={conflict}
        />
      )}
      <fieldset disabled={readOnly || saving} className="sections">
        <fieldset>
          <legend>General</legend>
          {text('name')}
          <Field id="profile-serverType" label="Server Type">
            {(control) => <input {...control} type="text" value="Exchange Server" readOnly />}
          </Field>
          {text('ownerId', 'text', stored ? undefined : 'Leave empty to own it yourself')}
          <Field {...common('description')}>
            {(control) => (
              <textarea
                {...control}
                rows={3}
                value={form.description}
                onChange={(e) => set('description')(e.target.value)}
              />
            )}
          </Field>
          <YesNoField
            {...common('autoDiscoverServerLocation')}
            value={form.autoDiscoverServerLocation}
            onChange={set('autoDiscoverServerLocation')}
            hint="Yes: each mailbox's server is found by Autodiscover. If server locations do not change, No performs better."
          />
          {show('incomingServerLocation') && text('incomingServerLocation', 'url')}
          {show('outgoingServerLocation') && text('outgoingServerLocation', 'url')}
        </fieldset>
        <fieldset>
          <legend>Credentials</legend>
          <ChoiceField
            {...common('authenticateUsing')}
            value={form.authenticateUsing}
            options={AUTHENTICATE_USING_LABELS}
            onChange={set('authenticateUsing')}
          />
          {show('userName') &&
            text('userName', 'text', 'Needs impersonation rights on every mailbox of the profile')}
          {show('password') &&
            text(
              'password',
              'password',
              base?.passwordSet
                ? 'A password is stored; type one only to replace it'
                : 'Stored encrypted, never shown again',
            )}
          <YesNoField
            {...common('useSameSettingsForOutgoing')}
            value={form.useSameSettingsForOutgoing}
            onChange={(same) => setForm((f) => withSameSettingsForOutgoing(f, same))}
          />
          {show('outgoingUserName') && text('outgoingUserName')}
          {show('outgoingPassword') &&
            text(
              'outgoingPassword',
              'password',
              base?.outgoingPasswordSet ? 'A password is stored; type one only to replace it' : undefined,
            )}
        </fieldset>
        <fieldset>
          <legend>Advanced</legend>
          <ChoiceField
            {...common('incomingAuthenticationProtocol')}
            value={form.incomingAuthenticationProtocol}
            options={PROTOCOL_LABELS}
            onChange={set('incomingAuthenticationProtocol')}
          />
          {show('outgoingAuthenticationProtocol') && (
            <ChoiceField
              {...common('outgoingAuthenticationProtocol')}
              value={form.outgoingAuthenticationProtocol}
              options={PROTOCOL_LABELS}
              onChange={set('outgoingAuthenticationProtocol')}
            />
          )}
        </fieldset>
        <fieldset>
          <legend>Additional Settings</legend>
          <Field
            {...common('processEmailFrom')}
            hint="Only email received after this is processed; an earlier time pulls older email of newly associated mailboxes"
          >
            {(control) => (
              <input
                {...control}
                type="datetime-local"
                value={form.processEmailFrom}
                onChange={(e) => set('processEmailFrom')(e.target.value)}
              />
            )}
          </Field>
          {number(
            'minimumPollingIntervalMinutes',
            0,
            1440,
            'How often, at most, each mailbox is polled for new email',
          )}
          {number('maxConcurrentConnections', 1, 300, 'Simultaneous connections to Exchange (default 10)')}
          <YesNoField
            {...common('moveFailedEmailsToUndeliverableFolder')}
            value={form.moveFailedEmailsToUndeliverableFolder}
            onChange={set('moveFailedEmailsToUndeliverableFolder')}
          />
        </fieldset>
      </fieldset>
    </form>
  );
}
