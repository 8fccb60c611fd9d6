import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

/** Every body the console reads or sends, as the API's OpenAPI document names it (generated: `npm run openapi`). */
export type Schemas = components['schemas'];
export type Profile = Schemas['EmailServerProfile'];
export type Mailbox = Schemas['Mailbox'];
export type BulkJob = Schemas['BulkJob'];
export type OrganizationEmailSettings = Schemas['OrganizationEmailSettings'];
export type Violation = Schemas['Violation'];
export type Session = Schemas['Session'];
export type Alert = Schemas['Alert'];
export type EmailActivity = Schemas['EmailActivity'];
export type Api = Client<paths>;

/**
 * The public REST API on this origin, typed from its document. Every request carries the bearer token; a 401 ends
 * the session (the token expired or was never valid), so the app shows its sign-in screen again.
 */
export function createApi(token: string, onUnauthorized: () => void): Api {
  const api = createClient<paths>({ baseUrl: window.location.origin });
  api.use({
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  });
  return api;
}

/** What went wrong with a request, in words, with the API's violations by field. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly violations: Violation[] = [],
  ) {
    super(message);
  }
}

type Outcome = { data?: unknown; error?: unknown; response: Response };

/** The body of a successful answer, or an ApiProblem saying what the API (or the network) answered instead. */
export async function unwrap<R extends Outcome>(pending: Promise<R>): Promise<Exclude<R['data'], undefined>> {
  let outcome: R;
  try {
    outcome = await pending;
  } catch {
    throw new ApiProblem(0, 'The API could not be reached. Check that it runs, then try again.');
  }
  if (outcome.error !== undefined) throw problemOf(outcome.response.status, outcome.error);
  return outcome.data as Exclude<R['data'], undefined>;
}

export function problemOf(status: number, body: unknown): ApiProblem {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<
    Record<'message' | 'violations' | 'missingPrivileges' | 'retryAfterSeconds', unknown>
  >;
  const violations = Array.isArray(b.violations) ? (b.violations as Violation[]) : [];
  let message = typeof b.message === 'string' ? b.message : `The API answered ${status}.`;
  if (status === 403 && Array.isArray(b.missingPrivileges))
    message = `You lack a privilege this needs: ${b.missingPrivileges.join(', ')}.`;
  if ((status === 503 || status === 504) && typeof b.retryAfterSeconds === 'number')
    message = `${message} Try again in ${b.retryAfterSeconds} s.`;
  return new ApiProblem(status, message, violations);
}
