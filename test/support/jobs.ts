import type { Test } from 'supertest';
import { eventually } from './env';

/** One call to the API as the spec's caller: the status and the parsed JSON body, whatever the HTTP client. */
export type ApiCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: any }>;

export interface JobWait {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Names the job in the time-out message; default `job <id>`. */
  what?: string;
  /** A further condition on the completed job, such as how many items are done. */
  until?: (job: Record<string, any>) => boolean;
}

/** Polls `GET /api/v1/jobs/{id}` until the job is Completed (and `until` holds); answers the job. */
export async function jobCompleted(
  call: ApiCall,
  jobId: string,
  wait: JobWait = {},
): Promise<Record<string, any>> {
  const { timeoutMs = 60000, what = `job ${jobId}`, until = () => true } = wait;
  return eventually(
    async () => {
      const res = await call('GET', `/api/v1/jobs/${jobId}`);
      const job = res.status === 200 ? (res.body as Record<string, any> | null) : null;
      return job?.status === 'Completed' && until(job) ? job : null;
    },
    timeoutMs,
    what,
  );
}

/** Starts a bulk mailbox job (`POST /api/v1/mailboxes/{action}`, 202) and waits until it has completed. */
export async function mailboxJob(
  call: ApiCall,
  action: string,
  mailboxIds: string[],
  wait: JobWait = {},
): Promise<Record<string, any>> {
  const started = await call('POST', `/api/v1/mailboxes/${action}`, { mailboxIds });
  if (started.status !== 202)
    throw new Error(
      `POST /api/v1/mailboxes/${action} answered ${started.status}: ${JSON.stringify(started.body)}`,
    );
  return jobCompleted(call, started.body.jobId as string, { what: `${action} job`, ...wait });
}

/** An {@link ApiCall} over supertest, with `auth` as the Authorization header when given. */
export function supertestCall(
  http: () => { get(path: string): Test; post(path: string): Test },
  auth?: string,
): ApiCall {
  return async (method, path, body) => {
    let req = method === 'GET' ? http().get(path) : http().post(path);
    if (auth !== undefined) req = req.set('Authorization', auth);
    const res = await (body === undefined ? req : req.send(body as object));
    return { status: res.status, body: res.body };
  };
}
