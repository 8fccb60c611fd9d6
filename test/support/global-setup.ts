// Jest globalSetup for the int and e2e tiers: makes sure real Kafka and a MongoDB-compatible server answer
// (starting them once via scripts/infra.mjs, or reusing running ones / KAFKA_BROKERS + MONGODB_URI from the
// environment) and exports their endpoints to the test workers, which inherit this process's environment.
// The infrastructure is deliberately left running afterwards: the next run reuses it in well under a second;
// `node scripts/infra.mjs down` (and .ci/run) stops it.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface InfraModule {
  ensureInfra(opts?: {
    fresh?: boolean;
    quiet?: boolean;
    log?: (msg: string) => void;
    timeoutMs?: number;
  }): Promise<{
    kafkaBrokers: string;
    mongoUri: string;
    started: boolean;
    mode: string;
    kafkaTls: {
      brokers: string;
      caFile: string;
      saslBrokers: string;
      saslUsername: string;
      saslPasswordFile: string;
      scram: boolean;
    } | null;
    kafkaTlsMissing?: string;
    mongoTlsUri: string | null;
  }>;
}

// ts-jest compiles to CommonJS, which would turn `import()` into `require()` and fail on an .mjs file;
// a Function keeps a real dynamic import.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- constant source, no user input
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

export default async function globalSetup(): Promise<void> {
  const infraUrl = pathToFileURL(path.resolve(__dirname, '../../scripts/infra.mjs')).href;
  const infra = (await importEsm(infraUrl)) as InfraModule;
  const { kafkaBrokers, mongoUri, kafkaTls, kafkaTlsMissing, mongoTlsUri } = await infra.ensureInfra({
    log: (msg) => process.stderr.write(`[infra] ${msg}\n`),
    timeoutMs: 180_000,
  });
  process.env.KAFKA_BROKERS = kafkaBrokers;
  process.env.MONGODB_URI = mongoUri;
  // The broker's TLS listeners (issue #14), for test/int/kafka-tls.int-spec.ts; external servers may name theirs.
  if (kafkaTls && !process.env.SSYNC_INFRA_KAFKA_TLS_BROKERS) {
    Object.assign(process.env, {
      SSYNC_INFRA_KAFKA_TLS_BROKERS: kafkaTls.brokers,
      SSYNC_INFRA_KAFKA_TLS_CA_FILE: kafkaTls.caFile,
      SSYNC_INFRA_KAFKA_SASL_BROKERS: kafkaTls.saslBrokers,
      SSYNC_INFRA_KAFKA_SASL_USERNAME: kafkaTls.saslUsername,
      SSYNC_INFRA_KAFKA_SASL_PASSWORD_FILE: kafkaTls.saslPasswordFile,
      SSYNC_INFRA_KAFKA_SCRAM: kafkaTls.scram ? '1' : '0',
    });
  } else if (!process.env.SSYNC_INFRA_KAFKA_TLS_BROKERS && kafkaTlsMissing)
    process.env.SSYNC_INFRA_KAFKA_TLS_MISSING ??= kafkaTlsMissing;
  if (mongoTlsUri && !process.env.SSYNC_INFRA_MONGODB_TLS_URI)
    process.env.SSYNC_INFRA_MONGODB_TLS_URI = mongoTlsUri;
}
