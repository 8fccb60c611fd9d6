import { ConfigError, loadApiConfig, loadCoreConfig, loadHealthConfig, trustProxy } from './config';

describe('configuration is validated at boot and names the variable', () => {
  it('has working defaults', () => {
    const c = loadApiConfig({});
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.http.port).toBe(3000);
    expect(c.allowCredentialsEntryViaNonSecureChannels).toBe(false);
    expect(c.kafka.followerPaceMs).toBe(1000);
    expect(loadCoreConfig({ SSYNC_FOLLOWER_PACE_MS: '100' }).kafka.followerPaceMs).toBe(100);
  });

  it.each([
    [{ KAFKA_BROKERS: 'not a broker' }, 'KAFKA_BROKERS'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ SSYNC_TOPIC_PREFIX: 'bad prefix!' }, 'SSYNC_TOPIC_PREFIX'],
    [
      { ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: 'maybe' },
      'ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS',
    ],
    [{ TLS_CERT_FILE: '/tmp/cert.pem' }, 'TLS_KEY_FILE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SSYNC_FOLLOWER_PACE_MS: '-1' }, 'SSYNC_FOLLOWER_PACE_MS'],
    [{ SSYNC_FOLLOWER_PACE_MS: '60000' }, 'SSYNC_FOLLOWER_PACE_MS'],
  ])('refuses %j', (env, variable) => {
    expect(() => loadApiConfig(env)).toThrow(ConfigError);
    try {
      loadApiConfig(env);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as Error).message).toContain(variable);
    }
  });

  it('reads brokers and the deployment property', () => {
    const c = loadCoreConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093' });
    expect(c.kafka.brokers).toEqual(['k1:9092', 'k2:9093']);
    expect(
      loadApiConfig({ ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1' })
        .allowCredentialsEntryViaNonSecureChannels,
    ).toBe(true);
  });

  it('starts no health listener unless HEALTH_PORT is set, and refuses a bad one by name', () => {
    expect(loadHealthConfig({})).toEqual({ port: null, host: '127.0.0.1' });
    expect(loadHealthConfig({ HEALTH_PORT: '0' }).port).toBe(0);
    expect(loadHealthConfig({ HEALTH_PORT: '8081', HOST: '0.0.0.0' })).toEqual({
      port: 8081,
      host: '0.0.0.0',
    });
    expect(loadHealthConfig({ HOST: '0.0.0.0', HEALTH_HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    for (const bad of ['health', '65536', '-1'])
      expect(() => loadHealthConfig({ HEALTH_PORT: bad })).toThrow(/HEALTH_PORT/);
  });
});

describe('TRUST_PROXY names the proxies whose X-Forwarded-* count (issue #14)', () => {
  it('is off by default, a hop count, or a list of addresses, CIDRs and express names', () => {
    expect(trustProxy({})).toBe(false);
    expect(trustProxy({ TRUST_PROXY: '0' })).toBe(false);
    expect(trustProxy({ TRUST_PROXY: '2' })).toBe(2);
    expect(trustProxy({ TRUST_PROXY: '10.0.5.0/24, 192.168.1.7,fd00::/8,loopback' })).toEqual([
      '10.0.5.0/24',
      '192.168.1.7',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses to trust every peer, and anything that is not an address, naming the variable', () => {
    expect(() => trustProxy({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY may not trust every peer/);
    for (const bad of ['ingress.local', '10.0.0.0/33', '10.0.0.1/8/1', '300.1.1.1', '11'])
      expect(() => trustProxy({ TRUST_PROXY: bad })).toThrow(ConfigError);
    expect(() => loadApiConfig({ KAFKA_BROKERS: 'k:9092', TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  });
});
