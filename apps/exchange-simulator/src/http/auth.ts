import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Account } from '../store/model';
import { Store } from '../store/store';
import { buildChallenge, newServerChallenge, parseNtlmMessage, verifyNtlmV2 } from '../auth/ntlm';

export type AuthResult =
  | { ok: true; account: Account; scheme: 'Basic' | 'NTLM' }
  | { ok: false; status: 401; challenge?: string; reason: string };

/**
 * Basic and NTLM (v2) authentication against the store's accounts. NTLM is connection-oriented in IIS, but
 * ews-javascript-api sends its Type 1 on a GET and the Type 3 on a separate POST (possibly another connection),
 * so issued challenges are remembered for a short while and a Type 3 is checked against the one issued on its
 * socket, else against the recent ones.
 */
export class Authenticator {
  private challenges = new Map<string, { challenge: Buffer; expires: number }>();
  private bySocket = new WeakMap<Socket, { challenge?: Buffer; account?: Account }>();

  constructor(
    private store: Store,
    private domain: string,
    private serverName: string,
    private ttlMs = 120_000,
  ) {}

  authenticate(req: IncomingMessage): AuthResult {
    const header = req.headers.authorization;
    const sock = req.socket;
    if (!header) {
      const s = this.bySocket.get(sock);
      if (s?.account) return { ok: true, account: s.account, scheme: 'NTLM' };
      return { ok: false, status: 401, reason: 'no credentials' };
    }
    const sp = header.indexOf(' ');
    const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : header.slice(sp + 1).trim();
    if (scheme === 'basic') return this.basic(value);
    if (scheme === 'ntlm' || scheme === 'negotiate') return this.ntlm(value, sock);
    return { ok: false, status: 401, reason: `unsupported scheme ${scheme}` };
  }

  private findAccount(user: string): Account | undefined {
    let name = user;
    let domain: string | undefined;
    const bs = name.indexOf('\\');
    if (bs >= 0) {
      domain = name.slice(0, bs);
      name = name.slice(bs + 1);
    }
    let acc = this.store.account(name);
    if (!acc && name.includes('@')) {
      for (const a of this.store.accounts.values()) if (a.upn.toLowerCase() === name.toLowerCase()) acc = a;
      acc ??= this.store.account(name.split('@')[0] ?? '');
    }
    if (
      acc &&
      domain &&
      domain.toLowerCase() !== acc.domain.toLowerCase() &&
      !acc.domain.toLowerCase().startsWith(domain.toLowerCase() + '.')
    )
      return undefined;
    return acc;
  }

  private basic(value: string): AuthResult {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return { ok: false, status: 401, reason: 'malformed Basic credentials' };
    const acc = this.findAccount(decoded.slice(0, i));
    if (!acc || acc.password !== decoded.slice(i + 1))
      return { ok: false, status: 401, reason: 'bad user name or password' };
    return { ok: true, account: acc, scheme: 'Basic' };
  }

  private ntlm(value: string, sock: Socket): AuthResult {
    let msg;
    try {
      msg = parseNtlmMessage(value);
    } catch (e) {
      return { ok: false, status: 401, reason: (e as Error).message };
    }
    if (msg.type === 1) {
      this.prune();
      const challenge = newServerChallenge();
      this.challenges.set(challenge.toString('hex'), { challenge, expires: Date.now() + this.ttlMs });
      this.bySocket.set(sock, { challenge });
      return {
        ok: false,
        status: 401,
        challenge: `NTLM ${buildChallenge(challenge, this.domain, this.serverName)}`,
        reason: 'challenge',
      };
    }
    const acc =
      this.findAccount(msg.domain ? `${msg.domain}\\${msg.userName}` : msg.userName) ??
      this.store.account(msg.userName);
    if (!acc) return { ok: false, status: 401, reason: 'unknown user' };
    const candidates: Buffer[] = [];
    const own = this.bySocket.get(sock)?.challenge;
    if (own) candidates.push(own);
    for (const c of this.challenges.values()) if (c.challenge !== own) candidates.push(c.challenge);
    for (const c of candidates) {
      if (verifyNtlmV2(msg, acc.password, c, [acc.domain])) {
        this.challenges.delete(c.toString('hex'));
        this.bySocket.set(sock, { account: acc });
        return { ok: true, account: acc, scheme: 'NTLM' };
      }
    }
    return { ok: false, status: 401, reason: 'NTLM response did not verify' };
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, v] of this.challenges) if (v.expires < now) this.challenges.delete(k);
    // Bound the work a Type 3 can cause.
    if (this.challenges.size > 2000) {
      const drop = this.challenges.size - 2000;
      let i = 0;
      for (const k of this.challenges.keys()) {
        if (i++ >= drop) break;
        this.challenges.delete(k);
      }
    }
  }
}

export function send401(res: ServerResponse, challenge?: string): void {
  res.statusCode = 401;
  if (challenge) res.setHeader('WWW-Authenticate', challenge);
  else res.setHeader('WWW-Authenticate', ['Negotiate', 'NTLM', 'Basic realm="simulator"']);
  res.setHeader('Content-Type', 'text/html');
  res.setHeader('Content-Length', '0');
  res.end();
}
