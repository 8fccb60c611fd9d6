import { ConfigError } from '@ssync/common';
import { MAX_POLL_CLAIM_AHEAD_MS } from '@ssync/domain';
import { loadWorkerConfig } from './worker-config';

describe('sync worker configuration', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/ssync' };

  it('backs idle mailboxes off up to 8 intervals by default; 1 polls every mailbox at its interval', () => {
    expect(loadWorkerConfig(base).worker.idleBackoffFactor).toBe(8);
    expect(loadWorkerConfig({ ...base, SSYNC_IDLE_BACKOFF_FACTOR: '1' }).worker.idleBackoffFactor).toBe(1);
  });

  it('names the variable and the rule when the value is not an integer from 1 to 64', () => {
    for (const bad of ['0', '65', '2.5', 'often'])
      expect(() => loadWorkerConfig({ ...base, SSYNC_IDLE_BACKOFF_FACTOR: bad })).toThrow(
        expect.objectContaining({ message: expect.stringMatching(/SSYNC_IDLE_BACKOFF_FACTOR/) }) as Error,
      );
    expect(() => loadWorkerConfig({ ...base, SSYNC_IDLE_BACKOFF_FACTOR: '0' })).toThrow(ConfigError);
  });
  it('lets a poll command wait 100 ms for others of its partition by default, 0 to 1000 ms', () => {
    expect(loadWorkerConfig(base).worker.commandLingerMs).toBe(100);
    expect(loadWorkerConfig({ ...base, SSYNC_COMMAND_LINGER_MS: '0' }).worker.commandLingerMs).toBe(0);
    expect(() => loadWorkerConfig({ ...base, SSYNC_COMMAND_LINGER_MS: '1001' })).toThrow(
      /SSYNC_COMMAND_LINGER_MS/,
    );
  });

  it("lets a poll's outcome wait 500 ms for a transaction by default, up to 5 s", () => {
    expect(loadWorkerConfig(base).worker.outcomeLingerMs).toBe(500);
    expect(loadWorkerConfig({ ...base, SSYNC_OUTCOME_LINGER_MS: '100' }).worker.outcomeLingerMs).toBe(100);
    expect(() => loadWorkerConfig({ ...base, SSYNC_OUTCOME_LINGER_MS: '5001' })).toThrow(
      /SSYNC_OUTCOME_LINGER_MS/,
    );
  });

  it('claims a scheduled poll 700 ms ahead by default, at most as far ahead as a claim may reserve', () => {
    expect(loadWorkerConfig(base).worker.pollClaimLeadMs).toBe(700);
    expect(loadWorkerConfig(base).worker.pollClaimSlackMs).toBe(3000);
    expect(loadWorkerConfig({ ...base, SSYNC_POLL_CLAIM_LEAD_MS: '0' }).worker.pollClaimLeadMs).toBe(0);
    expect(() =>
      loadWorkerConfig({ ...base, SSYNC_POLL_CLAIM_LEAD_MS: String(MAX_POLL_CLAIM_AHEAD_MS + 1) }),
    ).toThrow(/SSYNC_POLL_CLAIM_LEAD_MS/);
  });

  it('fetches the activity commands at most every 250 ms by default (0: at every command)', () => {
    expect(loadWorkerConfig(base).worker.activityCommandPaceMs).toBe(250);
    expect(
      loadWorkerConfig({ ...base, SSYNC_ACTIVITY_COMMAND_PACE_MS: '0' }).worker.activityCommandPaceMs,
    ).toBe(0);
    expect(() => loadWorkerConfig({ ...base, SSYNC_ACTIVITY_COMMAND_PACE_MS: '-1' })).toThrow(
      /SSYNC_ACTIVITY_COMMAND_PACE_MS/,
    );
  });
});
