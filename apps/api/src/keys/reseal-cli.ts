import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka } from 'kafkajs';
import { CoreConfig, loadCoreConfig } from '@ssync/common';
import { MailboxState, ProfileState, mailboxDecider, profileDecider } from '@ssync/domain';
import { AggregateStore, KafkaCommandGateway, aggregateTopics, connectKafka } from '@ssync/messaging';
import { Keyring, SecretBox, loadKeyring } from '@ssync/security';
import { KeyCensus, ResealReport, keyCensus, resealCredentials, sealedCredentials } from './reseal';

export const RESEAL_USAGE = `usage: node dist/scripts/reseal.js [--check] [--batch <n>]
  (no flag)   reseal every profile and mailbox credential that is not under the active key, as events
              (ProfileCredentialsResealed, MailboxCredentialsResealed); prints progress, then a report.
              Stop it at any time and run it again: what is done is skipped.
  --check     only count the credentials per key id. Exit 0 when none is under an old key (the old key may
              leave the keyring), 2 when some still are.
  --batch     commands per produce request (default 100)
Uses the API's configuration: KAFKA_BROKERS, SSYNC_TOPIC_PREFIX, SSYNC_ORG_ID and the keyring
(SSYNC_ENCRYPTION_KEYS + SSYNC_ENCRYPTION_ACTIVE_KEY_ID, or SSYNC_ENCRYPTION_KEY_FILE) with the old and the new key.
The API and every sync worker must already run with the new key in their keyring (docs/adr/0019).
Exit 1 when a credential could not be resealed (the report names it and why).`;

export interface ResealCliIo {
  out(line: string): void;
  err(line: string): void;
}

const STORE_CATCH_UP_MS = 120_000;

/** The profiles and mailboxes as their event logs (and snapshots) hold them now: the only place the sealed values are. */
class CredentialStores {
  readonly profiles: AggregateStore<ProfileState>;
  readonly mailboxes: AggregateStore<MailboxState>;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: CoreConfig,
  ) {
    const prefix = config.kafka.topicPrefix;
    this.profiles = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'profile').events,
      `${prefix}.profile.reseal.${config.instanceId}`,
      profileDecider,
    );
    // Routine sync state (docs/adr/0010) is not read: a reseal needs the credentials alone.
    this.mailboxes = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'mailbox').events,
      `${prefix}.mailbox.reseal.${config.instanceId}`,
      mailboxDecider,
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.profiles.start(), this.mailboxes.start()]);
    const deadline = Date.now() + STORE_CATCH_UP_MS;
    while (!(this.profiles.caughtUpToStart() && this.mailboxes.caughtUpToStart())) {
      if (Date.now() > deadline)
        throw new Error(`the profile and mailbox logs were not read within ${STORE_CATCH_UP_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Reads what the owners wrote since the start (the run's own events). */
  async catchUp(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const store of [this.profiles, this.mailboxes]) {
        const topic = aggregateTopics(
          this.config.kafka.topicPrefix,
          store === this.profiles ? 'profile' : 'mailbox',
        );
        // The topic's own partitions: it may have been created with another SSYNC_PARTITIONS than this run's.
        for (const { partition } of await admin.fetchTopicOffsets(topic.events))
          await store.catchUpNow(partition, STORE_CATCH_UP_MS);
      }
    } finally {
      await admin.disconnect();
    }
  }

  census(activeKeyId: string): KeyCensus {
    return keyCensus(sealedCredentials(this.profiles.entries(), this.mailboxes.entries()), activeKeyId);
  }

  async stop(): Promise<void> {
    await Promise.all([this.profiles.stop(), this.mailboxes.stop()]);
  }
}

export interface ResealCliReport extends ResealReport {
  before: KeyCensus;
  after: KeyCensus;
}

/** Reseals (or, with `check`, counts) against the live log; `keyring` defaults to the environment's. */
export async function runReseal(
  env: NodeJS.ProcessEnv,
  options: { check?: boolean; batchSize?: number; keyring?: Keyring; io?: ResealCliIo } = {},
): Promise<{ check: KeyCensus } | { report: ResealCliReport }> {
  const io = options.io ?? { out: () => undefined, err: () => undefined };
  const keyring = options.keyring ?? (await loadKeyring(env, { logger: { warn: (m) => io.err(m) } }));
  const box = new SecretBox(keyring);
  // Never the API's instance id: the results topic is read per instance, and this run must see its own.
  const config: CoreConfig = {
    ...loadCoreConfig(env, 'reseal'),
    instanceId: `reseal-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
  };
  const kafka = await connectKafka(config);
  const stores = new CredentialStores(kafka, config);
  await stores.start();
  let gateway: KafkaCommandGateway | null = null;
  try {
    const before = stores.census(keyring.activeKeyId);
    if (options.check === true) return { check: before };
    gateway = new KafkaCommandGateway(kafka, {
      topicPrefix: config.kafka.topicPrefix,
      orgId: config.orgId,
      instanceId: config.instanceId,
      timeoutMs: 60_000,
    });
    await gateway.start();
    const bus = gateway;
    io.err(
      `resealing ${before.underOldKeys} of ${before.total} credential(s) under key '${keyring.activeKeyId}'`,
    );
    const report = await resealCredentials(
      sealedCredentials(stores.profiles.entries(), stores.mailboxes.entries()),
      {
        activeKeyId: keyring.activeKeyId,
        reseal: (sealed, context) => box.reseal(sealed, context),
        sendBatch: (commands) => bus.sendBatch(commands),
      },
      (p) =>
        io.err(
          `reseal: ${p.done}/${p.total} (resealed ${p.resealed}, skipped ${p.skipped}, failed ${p.failed})`,
        ),
      options.batchSize,
    );
    await stores.catchUp();
    return { report: { ...report, before, after: stores.census(keyring.activeKeyId) } };
  } finally {
    await gateway?.stop();
    await stores.stop();
  }
}

/** `node dist/scripts/reseal.js [--check] [--batch n]`: returns the exit code. */
export async function runResealCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: ResealCliIo,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        check: { type: 'boolean' },
        batch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n${RESEAL_USAGE}`);
    return 64;
  }
  if (values.help === true) {
    io.out(RESEAL_USAGE);
    return 0;
  }
  const batchSize = values.batch === undefined ? 100 : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    io.err(`--batch must be an integer from 1 to 1000\n${RESEAL_USAGE}`);
    return 64;
  }
  // Progress and the report are this command's output; the libraries' own logs only when something is wrong.
  Logger.overrideLogger(['error', 'warn']);
  const outcome = await runReseal(env, { check: values.check === true, batchSize, io });
  if ('check' in outcome) {
    io.out(JSON.stringify(outcome.check, null, 2));
    io.err(
      outcome.check.underOldKeys === 0
        ? `every credential is under key '${outcome.check.activeKeyId}': the other keys may leave the keyring`
        : `${outcome.check.underOldKeys} credential(s) still under an old key: run reseal`,
    );
    return outcome.check.underOldKeys === 0 ? 0 : 2;
  }
  const { report } = outcome;
  io.out(JSON.stringify(report, null, 2));
  io.err(
    `resealed ${report.resealed}, skipped ${report.skipped} (changed meanwhile), failed ${report.failed}; ` +
      `${report.after.underOldKeys} still under an old key`,
  );
  return report.failed === 0 ? 0 : 1;
}
