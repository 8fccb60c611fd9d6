import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installMetrics, metrics, metricsText } from './metrics';

const root = path.resolve(__dirname, '../../..');
const deployed = ['deploy/prometheus/ssync-alerts.yaml', 'deploy/grafana/ssync-dashboard.json'];

describe('metrics (issue #12)', () => {
  beforeAll(() => installMetrics('test'));

  it.each(deployed)('every series %s refers to is one the roles serve', async (file) => {
    const served = new Set((await metrics.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(
      [...readFileSync(path.join(root, file), 'utf8').matchAll(/\bssync_[a-z0-9_]+/g)].map((m) =>
        m[0].replace(/_(bucket|count|sum)$/, ''),
      ),
    );
    expect(used.size).toBeGreaterThan(3);
    expect([...used].filter((name) => !served.has(name))).toEqual([]);
  });

  it('the text format names every series of the product once, with help and type', async () => {
    const { body } = await metricsText();
    for (const name of [
      'ssync_poll_starts_total',
      'ssync_poll_lateness_seconds',
      'ssync_arrival_to_tracked_seconds',
      'ssync_ews_calls_total',
      'ssync_ews_call_seconds',
      'ssync_connection_slot_wait_seconds',
      'ssync_connection_slots',
      'ssync_connection_slot_operations_total',
      'ssync_test_results_total',
      'ssync_consumer_lag',
      'ssync_store_caught_up',
      'ssync_owned_mailboxes',
    ]) {
      expect(body.match(new RegExp(`^# TYPE ${name} `, 'gm'))).toHaveLength(1);
      expect(body).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
  });
});
