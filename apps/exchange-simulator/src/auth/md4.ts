/**
 * MD4 (RFC 1320). Node 20's OpenSSL 3 ships MD4 only in the legacy provider, and NTLM's NT hash is
 * MD4(UTF-16LE(password)), so we carry a small pure implementation.
 */
export function md4(input: Buffer): Buffer {
  const len = input.length;
  const padLen = (len % 64 < 56 ? 56 : 120) - (len % 64);
  const msg = Buffer.alloc(len + padLen + 8);
  input.copy(msg);
  msg[len] = 0x80;
  const bits = len * 8;
  msg.writeUInt32LE(bits >>> 0, len + padLen);
  msg.writeUInt32LE(Math.floor(bits / 0x100000000), len + padLen + 4);

  let a = 0x67452301,
    b = 0xefcdab89,
    c = 0x98badcfe,
    d = 0x10325476;
  const x = new Array<number>(16);
  const rotl = (v: number, s: number): number => (v << s) | (v >>> (32 - s));
  const f = (p: number, q: number, r: number): number => (p & q) | (~p & r);
  const g = (p: number, q: number, r: number): number => (p & q) | (p & r) | (q & r);
  const h = (p: number, q: number, r: number): number => p ^ q ^ r;

  for (let off = 0; off < msg.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = msg.readInt32LE(off + i * 4);
    const X = (i: number): number => x[i] ?? 0;
    const aa = a,
      bb = b,
      cc = c,
      dd = d;
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + X(i)) | 0, 3);
      d = rotl((d + f(a, b, c) + X(i + 1)) | 0, 7);
      c = rotl((c + f(d, a, b) + X(i + 2)) | 0, 11);
      b = rotl((b + f(c, d, a) + X(i + 3)) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + X(i) + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + X(i + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + X(i + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + X(i + 12) + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + X(i) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + X(i + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + X(i + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + X(i + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}

export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}
