import { KeyObject, generateKeyPairSync, randomUUID } from 'node:crypto';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

export type TestSigningAlgorithm = 'RS256' | 'ES256';

interface TestKey {
  readonly kid: string;
  readonly alg: TestSigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface TestTokenOptions {
  /** Default: the newest key of `alg` (RS256 unless given). */
  kid?: string;
  alg?: TestSigningAlgorithm;
  /** Seconds since the epoch for `iat` and `exp`; default now. */
  nowSeconds?: number;
  /** Default 300. */
  ttlSeconds?: number;
}

/**
 * A stand-in OpenID Connect provider on 127.0.0.1 (port 0): a discovery document and a JWKS made of keys generated
 * here, and tokens signed with them. Keys can be rotated and the provider taken "down" (503) between requests.
 */
export class TestOidcProvider {
  /** Every request, answered or not. */
  requests = 0;
  /** Requests the JWKS endpoint has answered, to show caching and rate limiting. */
  jwksRequests = 0;
  discoveryRequests = 0;
  /** While true, every endpoint answers 503. */
  down = false;
  private keys: TestKey[] = [];

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly audience: string,
  ) {}

  static async start(audience = 'ssync-api'): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const provider = new TestOidcProvider(server, `http://127.0.0.1:${port}/realms/ssync`, audience);
    server.on('request', (req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      provider.requests += 1;
      if (provider.down) return json(503, { error: 'down' });
      if (req.url === '/realms/ssync/.well-known/openid-configuration') {
        provider.discoveryRequests += 1;
        return json(200, { issuer: provider.issuer, jwks_uri: provider.jwksUri });
      }
      if (req.url === '/realms/ssync/certs') {
        provider.jwksRequests += 1;
        return json(200, { keys: provider.keys.map(publicJwk) });
      }
      return json(404, { error: 'not found' });
    });
    provider.addKey('RS256');
    provider.addKey('ES256');
    return provider;
  }

  get jwksUri(): string {
    return `${this.issuer}/certs`;
  }

  /** Publishes one more key; returns its `kid`. `modulusLength` (RS256): default 2048. */
  addKey(alg: TestSigningAlgorithm, modulusLength = 2048): string {
    const kid = `${alg.toLowerCase()}-${randomUUID()}`;
    const { privateKey, publicKey } =
      alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.keys.push({ kid, alg, privateKey, publicKey });
    return kid;
  }

  /** Withdraws one key from the JWKS. */
  removeKey(kid: string): void {
    this.keys = this.keys.filter((k) => k.kid !== kid);
  }

  /** The provider rotates: the old keys are withdrawn and one new key of `alg` replaces them. Returns its `kid`. */
  rotate(alg: TestSigningAlgorithm = 'RS256'): string {
    this.keys = [];
    return this.addKey(alg);
  }

  /** A token with `iss`, `aud`, `iat`, `exp` filled in (each overridable through `claims`). */
  sign(claims: Record<string, unknown>, options: TestTokenOptions = {}): string {
    const alg = options.alg ?? 'RS256';
    const key =
      options.kid !== undefined
        ? this.keys.find((k) => k.kid === options.kid)
        : this.keys.filter((k) => k.alg === alg).at(-1);
    if (key === undefined) throw new Error(`no ${options.kid ?? alg} key to sign with`);
    const iat = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    return jwt.sign(
      { iss: this.issuer, aud: this.audience, iat, exp: iat + (options.ttlSeconds ?? 300), ...claims },
      key.privateKey,
      // Short keys only to show they are refused.
      { algorithm: key.alg, keyid: key.kid, allowInsecureKeySizes: true },
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

function publicJwk(key: TestKey): Record<string, unknown> {
  return { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: key.alg, use: 'sig' };
}
