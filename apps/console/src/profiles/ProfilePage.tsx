import { useEffect, useState } from 'react';
import { type ApiProblem, type Profile, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { useJobs } from '../jobs/use-jobs';
import { Link, navigate } from '../router';
import { profilePath } from '../routes';
import { ProblemNotice, StatusNotice } from '../ui/Notice';
import { asProblem, useLoad } from '../ui/use-load';
import { DeactivateDialog } from './DeactivateDialog';
import { PROFILE_FORM_ID, ProfileEditor } from './ProfileEditor';
import { TestAndEnableResults } from './TestAndEnable';

/** What a page hands the next in its history entry. */
interface Handover {
  /** The version just written: the read must show at least it. */
  minVersion?: number;
  flash?: string;
}
const readHandover = (): Handover => (window.history.state ?? {}) as Handover;

/** New or existing Email Server Profile: the form, and the profile's commands (Deactivate, Test & Enable). */
export function ProfilePage({ id }: { id: string | null }) {
  const api = useApi();
  const [handover] = useState(readHandover);
  // Taken off the entry once read, so a reload does not say "Created." again.
  useEffect(() => window.history.replaceState(null, ''), []);
  const [flash, setFlash] = useState<string | null>(handover.flash ?? null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [deactivating, setDeactivating] = useState(false);
  const [testJobs, setTestJobs] = useState<string[]>([]);
  const [reassignmentJob, setReassignmentJob] = useState<string | null>(null);
  const loaded = useLoad(id ?? 'new', () => {
    if (id === null) return Promise.resolve(null);
    const minVersion = handover.minVersion;
    return unwrap(
      api.GET('/api/v1/email-server-profiles/{id}', {
        params: { path: { id }, header: minVersion ? { 'X-Min-Version': String(minVersion) } : {} },
      }),
    );
  });
  const profile = loaded.data;
  useEffect(() => {
    document.title = `${profile?.name ?? (id ? 'Email Server Profile' : 'New Email Server Profile')} · ssync`;
  }, [profile?.name, id]);

  const run = async (what: () => Promise<void>) => {
    setProblem(null);
    setFlash(null);
    try {
      await what();
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  const saved = (p: Profile) => {
    if (id === null)
      navigate(profilePath(p.id), { replace: true, state: { minVersion: p.version, flash: 'Created.' } });
    else {
      loaded.set(p);
      setFlash('Saved.');
    }
  };
  const activate = (p: Profile) =>
    run(async () => {
      loaded.set(
        await unwrap(
          api.POST('/api/v1/email-server-profiles/{id}/activate', { params: { path: { id: p.id } } }),
        ),
      );
      setFlash('Activated.');
    });
  const testAndEnable = (p: Profile) =>
    run(async () => {
      const started = await unwrap(
        api.POST('/api/v1/email-server-profiles/{id}/test-and-enable', { params: { path: { id: p.id } } }),
      );
      setTestJobs(started.jobIds);
    });

  // The same crumbs and heading while loading and after, so the heading the shell focused stays focused.
  const crumbs = (
    <p className="crumbs">
      <Link to="/profiles">Email Server Profiles</Link>
    </p>
  );
  if (id !== null && !profile)
    return (
      <>
        {crumbs}
        <h1 tabIndex={-1}>Email Server Profile</h1>
        {loaded.problem ? <ProblemNotice problem={loaded.problem} /> : <p>Loading…</p>}
      </>
    );
  const inactive = profile?.status === 'Inactive';
  return (
    <>
      {crumbs}
      <h1 tabIndex={-1}>
        {profile ? profile.name : 'New Email Server Profile'}{' '}
        {profile && <span className={`badge badge-${profile.status}`}>{profile.status}</span>}
      </h1>
      <div className="commands" role="toolbar" aria-label="Profile commands">
        <button type="submit" form={PROFILE_FORM_ID} className="primary" disabled={inactive}>
          Save
        </button>
        {profile && !inactive && (
          <button type="button" onClick={() => setDeactivating(true)}>
            Deactivate
          </button>
        )}
        {profile && inactive && (
          <button type="button" onClick={() => void activate(profile)}>
            Activate
          </button>
        )}
        {profile && (
          <button type="button" disabled={inactive} onClick={() => void testAndEnable(profile)}>
            Test &amp; Enable Mailboxes
          </button>
        )}
      </div>
      <StatusNotice text={flash} />
      <ProblemNotice problem={problem} />
      {inactive && (
        <p className="notice">This profile is inactive: activate it to change it or test its mailboxes.</p>
      )}
      {profile && testJobs.length > 0 && (
        <TestAndEnableResults key={testJobs.join()} profileId={profile.id} jobIds={testJobs} />
      )}
      {reassignmentJob && <Reassignment jobId={reassignmentJob} />}
      <ProfileEditor key={profile?.version ?? 'new'} stored={profile} readOnly={inactive} onSaved={saved} />
      {profile && deactivating && (
        <DeactivateDialog
          profile={profile}
          onClose={() => setDeactivating(false)}
          onDeactivated={(p) => {
            setDeactivating(false);
            loaded.set(p);
            setFlash('Deactivated.');
            if (p.reassignmentJobId) setReassignmentJob(p.reassignmentJobId);
          }}
        />
      )}
    </>
  );
}

/** The job that moves a deactivated profile's mailboxes to the profile that takes them over. */
function Reassignment({ jobId }: { jobId: string }) {
  const { progress, problem } = useJobs([jobId]);
  return (
    <section className="panel" aria-labelledby="reassign-heading">
      <h2 id="reassign-heading">Moving the mailboxes</h2>
      <ProblemNotice problem={problem} />
      <label htmlFor="reassign-progress">Progress</label>
      <progress id="reassign-progress" max={100} value={progress?.percent ?? 0} />
      <p role="status">
        {progress
          ? `${progress.finished} of ${progress.total} mailboxes moved and tested (${progress.percent} %).`
          : 'Starting…'}
      </p>
    </section>
  );
}
