import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { generate } from 'selfsigned';
import { ConfigError, loadCoreConfig, redactUri } from './config';

type Env = Record<string, string>;

let dir: string;
const files = { ca: '', cert: '', key: '', otherKey: '', password: '', notPem: '' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ssync-kafka-tls-'));
  const [one, two] = await Promise.all([
    generate([{ name: 'commonName', value: 'client' }], { keyType: 'ec' }),
    generate([{ name: 'commonName', value: 'other' }], { keyType: 'ec' }),
  ]);
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  files.ca = write('ca.pem', one.cert);
  files.cert = write('client.pem', one.cert);
  files.key = write('client-key.pem', one.private);
  files.otherKey = write('other-key.pem', two.private);
  files.password = write('password', 's3cret-from-a-file\n');
  files.notPem = write('not.pem', 'hello');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(env: Env): ConfigError {
  try {
    loadCoreConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('Kafka TLS and SASL are configured at boot, and a bad setting names its variable (issue #14)', () => {
  it('is plaintext without authentication unless asked', () => {
    const { kafka } = loadCoreConfig({});
    expect(kafka.tls).toBeNull();
    expect(kafka.sasl).toBeNull();
  });

  it('reads the CA, the client certificate and key, and checks broker certificates by default', () => {
    const { kafka } = loadCoreConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: files.ca,
      KAFKA_SSL_CERT_FILE: files.cert,
      KAFKA_SSL_KEY_FILE: files.key,
      KAFKA_SSL_SERVERNAME: 'kafka.internal',
    });
    expect(kafka.tls).toMatchObject({
      ca: expect.stringContaining('BEGIN CERTIFICATE'),
      cert: expect.stringContaining('BEGIN CERTIFICATE'),
      rejectUnauthorized: true,
      servername: 'kafka.internal',
    });
    expect(kafka.tls?.key?.reveal()).toContain('PRIVATE KEY');
    // Node's public roots when no CA is named (a managed Kafka with a public certificate).
    expect(loadCoreConfig({ KAFKA_SSL: '1' }).kafka.tls).toEqual({
      ca: null,
      cert: null,
      key: null,
      rejectUnauthorized: true,
      servername: null,
    });
  });

  it.each<[string, Env, string, RegExp]>([
    [
      'a TLS file without KAFKA_SSL',
      { KAFKA_SSL_CA_FILE: '/x.pem' },
      'KAFKA_SSL_CA_FILE',
      /KAFKA_SSL is not true/,
    ],
    [
      'a CA file that is not there',
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nope.pem' },
      'KAFKA_SSL_CA_FILE',
      /ENOENT/,
    ],
    [
      'a CA file that is not PEM',
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: 'NOT' },
      'KAFKA_SSL_CA_FILE',
      /certificate/,
    ],
    [
      'a certificate without its key',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: 'CERT' },
      'KAFKA_SSL_KEY_FILE',
      /together/,
    ],
    [
      'a key that is not the certificate’s',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: 'CERT', KAFKA_SSL_KEY_FILE: 'OTHER' },
      'KAFKA_SSL_KEY_FILE',
      /does not hold the key/,
    ],
    [
      'a key file that is no key',
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: 'CERT', KAFKA_SSL_KEY_FILE: 'NOT' },
      'KAFKA_SSL_KEY_FILE',
      /private key/,
    ],
    [
      'an unchecked broker in production',
      { NODE_ENV: 'production', KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
      'KAFKA_SSL_REJECT_UNAUTHORIZED',
      /production/,
    ],
    [
      'a server name that is no DNS name',
      { KAFKA_SSL: 'true', KAFKA_SSL_SERVERNAME: 'a b' },
      'KAFKA_SSL_SERVERNAME',
      /DNS name/,
    ],
    [
      'an unknown mechanism',
      { KAFKA_SASL_MECHANISM: 'gssapi' },
      'KAFKA_SASL_MECHANISM',
      /plain, scram-sha-256, scram-sha-512/,
    ],
    [
      'credentials without a mechanism',
      { KAFKA_SASL_USERNAME: 'u' },
      'KAFKA_SASL_USERNAME',
      /KAFKA_SASL_MECHANISM is not/,
    ],
    [
      'a mechanism without a user',
      { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'p' },
      'KAFKA_SASL_USERNAME',
      /required/,
    ],
    [
      'a mechanism without a password',
      { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' },
      'KAFKA_SASL_PASSWORD',
      /required/,
    ],
    [
      'two passwords',
      {
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: 'PW',
      },
      'KAFKA_SASL_PASSWORD',
      /both/,
    ],
    [
      'PLAIN in clear in production',
      {
        NODE_ENV: 'production',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      },
      'KAFKA_SASL_MECHANISM',
      /in clear/,
    ],
    [
      'a MongoDB URI without certificate checks in production',
      {
        NODE_ENV: 'production',
        MONGODB_URI: 'mongodb://m:27017/s?tls=true&tlsAllowInvalidCertificates=true',
      },
      'MONGODB_URI',
      /production/,
    ],
  ])('refuses %s', (_, given, variable, rule) => {
    const byName: Record<string, string> = {
      CERT: files.cert,
      OTHER: files.otherKey,
      NOT: files.notPem,
      PW: files.password,
    };
    const env = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, byName[v] ?? v]));
    const error = refusal(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(rule);
  });

  it('allows what production refuses outside it, and SCRAM without TLS anywhere', () => {
    expect(
      loadCoreConfig({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).kafka.tls
        ?.rejectUnauthorized,
    ).toBe(false);
    expect(
      loadCoreConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })
        .kafka.sasl?.mechanism,
    ).toBe('plain');
    const prod = { NODE_ENV: 'production', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(loadCoreConfig({ ...prod, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' }).kafka.sasl?.mechanism).toBe(
      'scram-sha-512',
    );
    expect(
      loadCoreConfig({ ...prod, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SSL: 'true' }).kafka.sasl?.mechanism,
    ).toBe('plain');
  });

  it('reads the password from a file without its final newline, and never prints it', () => {
    const config = loadCoreConfig({
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'ssync',
      KAFKA_SASL_PASSWORD_FILE: files.password,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CERT_FILE: files.cert,
      KAFKA_SSL_KEY_FILE: files.key,
    });
    expect(config.kafka.sasl?.password.reveal()).toBe('s3cret-from-a-file');
    const key = config.kafka.tls?.key?.reveal() ?? '';
    for (const printed of [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      `${String(config.kafka.sasl?.password)}`,
    ]) {
      expect(printed).not.toContain('s3cret');
      expect(printed).not.toContain(key.split('\n')[1]);
    }
    expect(JSON.stringify(config.kafka.sasl)).toContain('[redacted]');
  });
});

describe('MongoDB TLS lives in MONGODB_URI, passed to the driver unchanged', () => {
  it('keeps the URI as given, TLS options included', () => {
    const uri =
      'mongodb://ssync:p%40ss@m1:27017,m2:27017/ssync?replicaSet=rs0&tls=true&tlsCAFile=/etc/ssync/mongo-ca.pem';
    expect(loadCoreConfig({ MONGODB_URI: uri, NODE_ENV: 'production' }).mongo.uri).toBe(uri);
  });

  it('hides the passwords of a URI in a log line', () => {
    expect(redactUri('mongodb://ssync:p%40ss@m1:27017,m2:27017/ssync?tls=true')).toBe(
      'mongodb://ssync:***@m1:27017,m2:27017/ssync?tls=true',
    );
    expect(
      redactUri('mongodb+srv://u:pw@cluster.example.net/?tlsCertificateKeyFilePassword=k&tls=true'),
    ).toBe('mongodb+srv://u:***@cluster.example.net/?tlsCertificateKeyFilePassword=***&tls=true');
    expect(redactUri('mongodb://127.0.0.1:27017/ssync')).toBe('mongodb://127.0.0.1:27017/ssync');
  });
});
