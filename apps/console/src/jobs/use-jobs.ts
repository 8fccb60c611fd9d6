import { useEffect, useState } from 'react';
import { type BulkJob, unwrap } from '../api/client';
import { useApi } from '../api/context';
import { JobsProgress, progressOf } from './progress';
import { asProblem } from '../ui/use-load';
import type { ApiProblem } from '../api/client';

const POLL_MS = 500;

/** Follows jobs at GET /api/v1/jobs/{id} until they are over (then `progress.done`). */
export function useJobs(jobIds: readonly string[]): {
  jobs: BulkJob[];
  progress: JobsProgress | null;
  problem: ApiProblem | null;
} {
  const api = useApi();
  const [jobs, setJobs] = useState<BulkJob[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const key = jobIds.join(',');
  useEffect(() => {
    if (jobIds.length === 0) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const now = await Promise.all(
          jobIds.map((id) => unwrap(api.GET('/api/v1/jobs/{id}', { params: { path: { id } } }))),
        );
        if (stopped) return;
        setJobs(now);
        setProblem(null);
        if (progressOf(now).done) return;
      } catch (e) {
        // A moment's 503 is no reason to stop following.
        if (stopped) return;
        setProblem(asProblem(e));
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, key]);
  return { jobs, progress: jobs.length > 0 ? progressOf(jobs) : null, problem };
}
