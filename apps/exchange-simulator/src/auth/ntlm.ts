import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ntHash } from './md4';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const F_UNICODE = 0x00000001;
const F_OEM = 0x00000002;
const F_REQUEST_TARGET = 0x00000004;
const F_NTLM = 0x00000200;
const F_ALWAYS_SIGN = 0x00008000;
const F_TARGET_TYPE_DOMAIN = 0x00010000;
const F_EXTENDED_SESSIONSECURITY = 0x00080000;
const F_TARGET_INFO = 0x00800000;
const F_VERSION = 0x02000000;
const F_128 = 0x20000000;
const F_56 = 0x80000000;

export type NtlmMessage =
  | { type: 1; flags: number }
  | {
      type: 3;
      flags: number;
      userName: string;
      domain: string;
      workstation: string;
      ntResponse: Buffer;
      lmResponse: Buffer;
    };

export function parseNtlmMessage(b64: string): NtlmMessage {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length < 12 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('Not an NTLMSSP message');
  const type = buf.readUInt32LE(8);
  if (type === 1) return { type: 1, flags: buf.length >= 16 ? buf.readUInt32LE(12) : 0 };
  if (type !== 3 || buf.length < 52) throw new Error(`Unexpected NTLM message type ${type}`);
  const field = (off: number): Buffer => {
    const len = buf.readUInt16LE(off);
    const at = buf.readUInt32LE(off + 4);
    if (at + len > buf.length) throw new Error('NTLM security buffer out of range');
    return buf.subarray(at, at + len);
  };
  const flags = buf.length >= 64 ? buf.readUInt32LE(60) : F_UNICODE;
  const str = (b: Buffer): string => (flags & F_UNICODE ? b.toString('utf16le') : b.toString('latin1'));
  return {
    type: 3,
    flags,
    lmResponse: Buffer.from(field(12)),
    ntResponse: Buffer.from(field(20)),
    domain: str(field(28)),
    userName: str(field(36)),
    workstation: str(field(44)),
  };
}

function avPair(id: number, value: string): Buffer {
  const v = Buffer.from(value, 'utf16le');
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(v.length, 2);
  return Buffer.concat([h, v]);
}

/** Build a Type 2 (challenge) message announcing NTLMv2 with target info, as Windows servers do. */
export function buildChallenge(challenge: Buffer, domain: string, server: string): string {
  const target = Buffer.from(domain, 'utf16le');
  const ts = Buffer.alloc(12);
  ts.writeUInt16LE(7, 0); // MsvAvTimestamp
  ts.writeUInt16LE(8, 2);
  ts.writeBigUInt64LE((BigInt(Date.now()) + 11644473600000n) * 10000n, 4);
  const info = Buffer.concat([
    avPair(2, domain), // NetBIOS domain
    avPair(1, server), // NetBIOS computer
    avPair(4, `${domain.toLowerCase()}.local`), // DNS domain
    avPair(3, `${server.toLowerCase()}.${domain.toLowerCase()}.local`), // DNS computer
    ts,
    Buffer.from([0, 0, 0, 0]), // MsvAvEOL
  ]);
  const headerLen = 56;
  const buf = Buffer.alloc(headerLen + target.length + info.length);
  SIGNATURE.copy(buf, 0);
  buf.writeUInt32LE(2, 8);
  buf.writeUInt16LE(target.length, 12);
  buf.writeUInt16LE(target.length, 14);
  buf.writeUInt32LE(headerLen, 16);
  const flags =
    F_UNICODE |
    F_REQUEST_TARGET |
    F_NTLM |
    F_ALWAYS_SIGN |
    F_TARGET_TYPE_DOMAIN |
    F_EXTENDED_SESSIONSECURITY |
    F_TARGET_INFO |
    F_VERSION |
    F_128 |
    F_56;
  buf.writeUInt32LE(flags >>> 0, 20);
  challenge.copy(buf, 24);
  buf.writeUInt16LE(info.length, 40);
  buf.writeUInt16LE(info.length, 42);
  buf.writeUInt32LE(headerLen + target.length, 44);
  // Version: 10.0 build 17763, NTLM revision 15
  buf.writeUInt8(10, 48);
  buf.writeUInt8(0, 49);
  buf.writeUInt16LE(17763, 50);
  buf.writeUInt8(15, 55);
  target.copy(buf, headerLen);
  info.copy(buf, headerLen + target.length);
  void F_OEM;
  return buf.toString('base64');
}

export function newServerChallenge(): Buffer {
  return randomBytes(8);
}

/**
 * Verify an NTLMv2 response (MS-NLMP 3.3.2): NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge ‖ blob), where
 * NTOWFv2 = HMAC_MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) ‖ domain)). The domain is the one the client
 * put in its Type 3 message; some clients use the empty or the server's domain, so those are tried too.
 */
export function verifyNtlmV2(
  msg: Extract<NtlmMessage, { type: 3 }>,
  password: string,
  serverChallenge: Buffer,
  altDomains: string[] = [],
): boolean {
  if (msg.ntResponse.length < 24 + 16) return false;
  const proof = msg.ntResponse.subarray(0, 16);
  const blob = msg.ntResponse.subarray(16);
  const hash = ntHash(password);
  const domains = [...new Set([msg.domain, ...altDomains, msg.domain.toUpperCase(), ''])];
  for (const d of domains) {
    const ntowf = createHmac('md5', hash)
      .update(Buffer.from(msg.userName.toUpperCase() + d, 'utf16le'))
      .digest();
    const expect = createHmac('md5', ntowf)
      .update(Buffer.concat([serverChallenge, blob]))
      .digest();
    if (timingSafeEqual(expect, proof)) return true;
  }
  return false;
}
