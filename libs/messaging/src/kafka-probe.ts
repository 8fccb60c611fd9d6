import { Kafka } from 'kafkajs';

/**
 * Whether the broker answers now, for readiness (issue #11): a metadata request on a short-lived admin client, at
 * most one in flight, remembered for `cacheMs` so probes and scrapes do not each ask. Nothing stays connected
 * between probes, so there is nothing to close.
 */
export class KafkaProbe {
  private last: { at: number; ok: boolean } | null = null;
  private inFlight: Promise<boolean> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: { cacheMs?: number; timeoutMs?: number } = {},
  ) {}

  reachable(): Promise<boolean> {
    if (this.last && Date.now() - this.last.at < (this.options.cacheMs ?? 2000))
      return Promise.resolve(this.last.ok);
    this.inFlight ??= this.probe().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async probe(): Promise<boolean> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), this.options.timeoutMs ?? 2000)),
    );
    const ask = async (): Promise<boolean> => {
      await admin.connect();
      await admin.describeCluster();
      return true;
    };
    const ok = await Promise.race([ask().catch(() => false), late]).finally(() => clearTimeout(timer));
    void admin.disconnect().catch(() => undefined);
    this.last = { at: Date.now(), ok };
    return ok;
  }
}
