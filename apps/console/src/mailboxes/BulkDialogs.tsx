import { FormEvent, ReactNode, useState } from 'react';
import { type ApiProblem, type Profile, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { Link } from '../router';
import { CheckboxField, ChoiceField, Field } from '../ui/Field';
import { ProblemNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { useModalDialog } from '../ui/use-modal';
import { violationsByField } from '../ui/violations';
import { BulkEditForm, UNCHANGED, bulkEditChanges } from './bulk-edit';
import { ACT_LABELS, INCOMING_LABELS, OUTGOING_LABELS } from './labels';

/**
 * A modal that does one request for the selected mailboxes. The request's refusal shows in it; on success it
 * hands over what the API answered and closes.
 */
function BulkDialog(props: {
  id: string;
  title: string;
  ok: string;
  count: number;
  canSubmit?: boolean;
  submit: () => Promise<void>;
  onClose: () => void;
  problem?: ApiProblem | null;
  onProblem?: (problem: ApiProblem) => void;
  children?: ReactNode;
}) {
  const { id, title, ok, count, canSubmit = true, submit, onClose, children } = props;
  // A job's panel takes the focus when the menu item that opened the dialog is hidden again.
  const { ref: dialog, onKeyDown } = useModalDialog(() =>
    document.querySelector<HTMLElement>('main .panel h2[tabindex]'),
  );
  const [busy, setBusy] = useState(false);
  const [own, setOwn] = useState<ApiProblem | null>(null);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await submit();
      dialog.current?.close();
    } catch (error) {
      const p = asProblem(error);
      if (props.onProblem) props.onProblem(p);
      else setOwn(p);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby={`${id}-heading`} onClose={onClose} onKeyDown={onKeyDown}>
      <form method="dialog" noValidate onSubmit={(e) => void send(e)} aria-busy={busy}>
        <h2 id={`${id}-heading`}>{title}</h2>
        <p>
          {count} mailbox{count === 1 ? '' : 'es'} selected.
        </p>
        {children}
        <ProblemNotice problem={props.onProblem ? (props.problem ?? null) : own} />
        <div className="commands">
          <button type="submit" className="primary" disabled={busy || !canSubmit}>
            {ok}
          </button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** Approve Email, Reject Email, Test & Enable Mailboxes, Deactivate: say what happens, then OK. */
export function ConfirmDialog(props: {
  id: string;
  title: string;
  count: number;
  children: ReactNode;
  submit: () => Promise<void>;
  onClose: () => void;
}) {
  return (
    <BulkDialog {...props} ok="OK">
      {props.children}
    </BulkDialog>
  );
}

/**
 * M-3, the seed's screenshot: the organization's current defaults (System Settings › Email), as they will be
 * applied, and whether the mailboxes are then tested and enabled (by default, yes).
 */
export function ApplyDefaultsDialog(props: {
  count: number;
  profiles: readonly Profile[];
  start: (testAndEnable: boolean) => Promise<void>;
  onClose: () => void;
}) {
  const api = useApi();
  const settings = useLoad('org-email-settings', () =>
    unwrap(api.GET('/api/v1/organization/email-settings')),
  );
  const [testAndEnable, setTestAndEnable] = useState(true);
  const s = settings.data;
  const profile = s?.defaultServerProfileId
    ? (props.profiles.find((p) => p.id === s.defaultServerProfileId)?.name ?? s.defaultServerProfileId)
    : null;
  return (
    <BulkDialog
      id="apply-defaults"
      title="Apply Default Email Settings"
      ok="OK"
      count={props.count}
      canSubmit={Boolean(profile)}
      submit={() => props.start(testAndEnable)}
      onClose={props.onClose}
    >
      <ProblemNotice problem={settings.problem} />
      {!s && !settings.problem && <p>Loading the organization&apos;s settings…</p>}
      {s && (
        <>
          <p>These settings will be applied to the selected mailboxes:</p>
          <dl className="facts" aria-label="Default email settings">
            <dt>Server Profile</dt>
            <dd>{profile ?? '(none)'}</dd>
            <dt>Incoming Email</dt>
            <dd>{INCOMING_LABELS[s.incomingEmailDeliveryMethod]}</dd>
            <dt>Outgoing Email</dt>
            <dd>{OUTGOING_LABELS[s.outgoingEmailDeliveryMethod]}</dd>
            <dt>Appointments, Contacts, and Tasks</dt>
            <dd>{ACT_LABELS[s.actDeliveryMethod]}</dd>
          </dl>
          {!profile && (
            <p className="notice notice-error" role="alert">
              The organization has no default email server profile. Set one in{' '}
              <Link to="/settings/email">System Settings › Email</Link> first.
            </p>
          )}
          <CheckboxField
            id="apply-defaults-testAndEnable"
            label="Test and enable the mailboxes afterwards"
            checked={testAndEnable}
            onChange={setTestAndEnable}
          />
        </>
      )}
    </BulkDialog>
  );
}

const KEEP = '(keep as is)';

/**
 * M-4, Change Multiple Records: each field set here is set on every selected mailbox; a field left at "keep as
 * is" is not sent, so each mailbox keeps its own value. The API's bulk edit changes the profile and the three
 * delivery methods, which is what the seed's form sets.
 */
export function BulkEditDialog(props: {
  count: number;
  profiles: readonly Profile[];
  start: (changes: ReturnType<typeof bulkEditChanges>) => Promise<void>;
  onClose: () => void;
}) {
  const [form, setForm] = useState<BulkEditForm>(UNCHANGED);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const errors = violationsByField(problem?.violations ?? []);
  const set =
    <K extends keyof BulkEditForm>(key: K) =>
    (value: BulkEditForm[K]) =>
      setForm({ ...form, [key]: value });
  const shown = Object.keys(UNCHANGED).map((k) => `changes.${k}`);
  // A refusal no field here shows ("must change at least one field") is said above the buttons.
  const unplaced =
    problem && (problem.violations.length === 0 || problem.violations.some((v) => !shown.includes(v.field)))
      ? problem
      : null;
  return (
    <BulkDialog
      id="bulk-edit"
      title="Change Multiple Records"
      ok="Change"
      count={props.count}
      submit={() => props.start(bulkEditChanges(form))}
      onClose={props.onClose}
      problem={unplaced}
      onProblem={setProblem}
    >
      <fieldset>
        <legend>Synchronization Method</legend>
        <Field
          id="bulk-edit-serverProfileId"
          label="Server Profile"
          error={errors.get('changes.serverProfileId')}
        >
          {(control) => (
            <select
              {...control}
              value={form.serverProfileId}
              onChange={(e) => set('serverProfileId')(e.target.value)}
            >
              <option value="">{KEEP}</option>
              {props.profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ChoiceField
          id="bulk-edit-incomingEmailDeliveryMethod"
          label="Incoming Email"
          value={form.incomingEmailDeliveryMethod}
          options={{ '': KEEP, ...INCOMING_LABELS }}
          onChange={set('incomingEmailDeliveryMethod')}
          error={errors.get('changes.incomingEmailDeliveryMethod')}
        />
        <ChoiceField
          id="bulk-edit-outgoingEmailDeliveryMethod"
          label="Outgoing Email"
          value={form.outgoingEmailDeliveryMethod}
          options={{ '': KEEP, ...OUTGOING_LABELS }}
          onChange={set('outgoingEmailDeliveryMethod')}
          error={errors.get('changes.outgoingEmailDeliveryMethod')}
        />
        <ChoiceField
          id="bulk-edit-actDeliveryMethod"
          label="Appointments, Contacts, and Tasks"
          value={form.actDeliveryMethod}
          options={{ '': KEEP, ...ACT_LABELS }}
          onChange={set('actDeliveryMethod')}
          error={errors.get('changes.actDeliveryMethod')}
        />
      </fieldset>
    </BulkDialog>
  );
}
