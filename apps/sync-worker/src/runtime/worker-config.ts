import { ConfigError, CoreConfig, loadCoreConfig } from '@ssync/common';
import { MAX_POLL_CLAIM_AHEAD_MS, SEND_RETRY_POLICY } from '@ssync/domain';
import { DEFAULT_POLL_SCHEDULE } from './schedule';

export interface WorkerConfig extends CoreConfig {
  worker: {
    tickMs: number;
    concurrency: number;
    requestTimeoutMs: number;
    pageSize: number;
    maxPagesPerPoll: number;
    autodiscoverUrl: string | undefined;
    /** The service's own identity for Windows Integrated Authentication (P-4). */
    serviceIdentity: { userName: string; password: string; domain?: string } | undefined;
    commandTimeoutMs: number;
    /** P-10 across owners: how long a poll claim may take to come back and still be used (see SyncRuntime). */
    pollClaimSlackMs: number;
    pollClaimLeadMs: number;
    activityCommandPaceMs: number;
    /** S-3/S-6: minutes between retries of a send that failed transiently (default 5, as M-6's test retries). */
    sendRetryDelayMinutes: number;
    /** P-10: an idle mailbox's polls back off up to this many times the interval (1: every mailbox at it). */
    idleBackoffFactor: number;
    /** How long a mailbox command (a poll's claim) waits to share its partition's transaction (ADR 0014). */
    commandLingerMs: number;
    /** How long a poll's outcome may wait for one: usually the next claim's (ADR 0014, addendum 2). */
    outcomeLingerMs: number;
  };
}

function int(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const core = loadCoreConfig(env, 'sync-worker');
  const autodiscoverUrl = env.SSYNC_AUTODISCOVER_URL?.trim() || undefined;
  if (autodiscoverUrl && !/^https?:\/\//.test(autodiscoverUrl))
    throw new ConfigError('SSYNC_AUTODISCOVER_URL', 'must be an http(s) URL');
  const serviceUser = env.SSYNC_SERVICE_USER?.trim();
  const servicePassword = env.SSYNC_SERVICE_PASSWORD;
  if (serviceUser && !servicePassword)
    throw new ConfigError('SSYNC_SERVICE_PASSWORD', 'is required with SSYNC_SERVICE_USER');
  let serviceIdentity: WorkerConfig['worker']['serviceIdentity'];
  if (serviceUser && servicePassword) {
    const i = serviceUser.indexOf('\\');
    serviceIdentity =
      i > 0
        ? { domain: serviceUser.slice(0, i), userName: serviceUser.slice(i + 1), password: servicePassword }
        : { userName: serviceUser, password: servicePassword };
  }
  return {
    ...core,
    worker: {
      tickMs: int(env, 'SSYNC_WORKER_TICK_MS', 250, 10, 60000),
      concurrency: int(env, 'SSYNC_WORKER_CONCURRENCY', 64, 1, 1000),
      requestTimeoutMs: int(env, 'SSYNC_EWS_TIMEOUT_MS', 30000, 1000, 600000),
      pageSize: int(env, 'SSYNC_SYNC_PAGE_SIZE', 100, 1, 512),
      maxPagesPerPoll: int(env, 'SSYNC_SYNC_MAX_PAGES', 10, 1, 1000),
      autodiscoverUrl,
      serviceIdentity,
      commandTimeoutMs: int(env, 'SSYNC_COMMAND_TIMEOUT_MS', 30000, 100, 600000),
      // A claim that came back later than this costs its mailbox a whole interval; a longer slack costs only a new
      // owner's first poll after a worker died mid-poll (the outcome narrows the floor to the request).
      pollClaimSlackMs: int(env, 'SSYNC_POLL_CLAIM_SLACK_MS', 3000, 50, 60000),
      pollClaimLeadMs: int(env, 'SSYNC_POLL_CLAIM_LEAD_MS', 700, 0, MAX_POLL_CLAIM_AHEAD_MS),
      sendRetryDelayMinutes: int(
        env,
        'SSYNC_SEND_RETRY_DELAY_MINUTES',
        SEND_RETRY_POLICY.retryDelayMinutes,
        1,
        24 * 60,
      ),
      idleBackoffFactor: int(env, 'SSYNC_IDLE_BACKOFF_FACTOR', DEFAULT_POLL_SCHEDULE.maxIdleFactor, 1, 64),
      commandLingerMs: int(env, 'SSYNC_COMMAND_LINGER_MS', 100, 0, 1000),
      outcomeLingerMs: int(env, 'SSYNC_OUTCOME_LINGER_MS', 500, 0, 5000),
      activityCommandPaceMs: int(env, 'SSYNC_ACTIVITY_COMMAND_PACE_MS', 250, 0, 5000),
    },
  };
}
