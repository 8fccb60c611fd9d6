import { FormEvent, useState } from 'react';
import { type ApiProblem, type Profile, type Schemas, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { Field } from '../ui/Field';
import { ProblemNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { useModalDialog } from '../ui/use-modal';
import { violationsByField } from '../ui/violations';

type Deactivated = Schemas['DeactivatedEmailServerProfile'];

/**
 * P-14: a profile with mailboxes is deactivated only by saying where they go; the API moves them in a job (and
 * tests them there). Without mailboxes, no choice is needed.
 */
export function DeactivateDialog(props: {
  profile: Profile;
  onClose: () => void;
  onDeactivated: (profile: Deactivated) => void;
}) {
  const { profile, onClose, onDeactivated } = props;
  const api = useApi();
  const { ref: dialog, onKeyDown } = useModalDialog();
  const [target, setTarget] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const others = useLoad('active-profiles', () =>
    unwrap(api.GET('/api/v1/email-server-profiles', { params: { query: { status: 'Active', limit: 200 } } })),
  );
  const errors = violationsByField(problem?.violations ?? []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      onDeactivated(
        await unwrap(
          api.POST('/api/v1/email-server-profiles/{id}/deactivate', {
            params: { path: { id: profile.id } },
            body: target ? { reassignMailboxesTo: target } : {},
          }),
        ),
      );
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} aria-labelledby="deactivate-heading" onClose={onClose} onKeyDown={onKeyDown}>
      <form method="dialog" onSubmit={(e) => void submit(e)}>
        <h2 id="deactivate-heading">Deactivate {profile.name}</h2>
        <p>
          Its mailboxes stop synchronizing with this profile. If it has any, choose the profile that takes
          them over.
        </p>
        <Field
          id="deactivate-reassign"
          label="Move Its Mailboxes To"
          error={errors.get('reassignMailboxesTo')}
          hint="They are moved, then tested and enabled, as a job"
        >
          {(control) => (
            <select {...control} value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">(none)</option>
              {(others.data?.items ?? [])
                .filter((p) => p.id !== profile.id)
                .map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
            </select>
          )}
        </Field>
        <ProblemNotice problem={errors.has('reassignMailboxesTo') ? null : (problem ?? others.problem)} />
        <div className="commands">
          <button type="submit" className="danger" disabled={busy}>
            Deactivate
          </button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
