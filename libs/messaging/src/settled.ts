import { createHash } from 'node:crypto';

/** The key prefix of settled-aggregate chunks in a snapshot topic (aggregate ids never start with `~`). */
export const SETTLED_KEY = '~settled~';

/** Entries per chunk record: 8,192 × 12 bytes = 96 KiB (128 KiB as base64). */
export const SETTLED_CHUNK_ENTRIES = 8192;

/** An entry's last byte: its kind (2 bits) and its version (6 bits); an aggregate past either stays whole. */
export const SETTLED_MAX_VERSION = 63;
export const SETTLED_KINDS = 4;

/** The byte a settled entry carries for `kind` at `version` (null when it does not fit). */
export function settledCode(kind: number, version: number): number | null {
  if (!Number.isInteger(kind) || kind < 0 || kind >= SETTLED_KINDS) return null;
  if (!Number.isInteger(version) || version < 1 || version > SETTLED_MAX_VERSION) return null;
  return (kind << 6) | version;
}

export function settledKindOf(code: number): number {
  return code >> 6;
}

export function settledVersionOf(code: number): number {
  return code & SETTLED_MAX_VERSION;
}

const WORDS = 3;

export function settledChunkKey(partition: number, chunk: number): string {
  return `${SETTLED_KEY}${partition}~${chunk}`;
}

/** 88 bits of SHA-256 of the id as three words, the third with its low byte free for the code. */
export function settledDigest(aggregateId: string): [number, number, number] {
  const d = createHash('sha256').update(aggregateId).digest();
  return [d.readUInt32LE(0), d.readUInt32LE(4), (d.readUIntLE(8, 3) << 8) >>> 0];
}

/**
 * The settled aggregates of one partition (docs/adr/0012): aggregates every command on which is decided from their
 * kind and version alone (a tracked message: its next copy is a duplicate). Each is 12 bytes — 88 bits of its id's
 * digest and a code byte ({@link settledCode}) — in insertion order (what the owner writes as chunks), with an open
 * addressing index over them. Two ids share a digest with a probability of about n²/2⁸⁹ for n in one partition.
 */
export class SettledTable {
  private entries = new Uint32Array(WORDS * 1024);
  private slots = new Int32Array(2048);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes held (both arrays): what a settled aggregate costs in memory. */
  get bytes(): number {
    return this.entries.byteLength + this.slots.byteLength;
  }

  /** The code of an aggregate, or undefined when it is not settled here. */
  code(digest: readonly [number, number, number]): number | undefined {
    const at = this.find(digest);
    return at < 0 ? undefined : this.word(at * WORDS + 2) & 0xff;
  }

  /** Adds (or raises the code of) an aggregate; true when it is new here. */
  add(digest: readonly [number, number, number], code: number): boolean {
    if (!Number.isInteger(code) || code < 1 || code > 255) throw new RangeError(`settled code ${code}`);
    const at = this.find(digest);
    if (at >= 0) {
      const w = at * WORDS + 2;
      if ((this.word(w) & 0xff) < code) this.entries[w] = ((this.word(w) & ~0xff) | code) >>> 0;
      return false;
    }
    if ((this.count + 1) * WORDS > this.entries.length) {
      const grown = new Uint32Array(Math.ceil((this.entries.length * 1.5) / WORDS) * WORDS);
      grown.set(this.entries);
      this.entries = grown;
    }
    if ((this.count + 1) * 4 > this.slots.length * 3) this.reindex(this.slots.length * 2);
    const base = this.count * WORDS;
    this.entries[base] = digest[0];
    this.entries[base + 1] = digest[1];
    this.entries[base + 2] = (digest[2] | code) >>> 0;
    this.place(this.count);
    this.count += 1;
    return true;
  }

  /** Entries [from, to) in insertion order, as bytes (little-endian words). */
  encode(from: number, to: number): Buffer {
    const out = Buffer.alloc((to - from) * WORDS * 4);
    for (let i = from * WORDS, o = 0; i < to * WORDS; i += 1, o += 4) out.writeUInt32LE(this.word(i), o);
    return out;
  }

  /** Adds every entry of an {@link encode}d chunk. */
  addEncoded(bytes: Buffer): void {
    if (bytes.length % (WORDS * 4) !== 0) throw new RangeError('a settled chunk holds whole 12-byte entries');
    for (let o = 0; o < bytes.length; o += WORDS * 4) {
      const w2 = bytes.readUInt32LE(o + 8);
      this.add([bytes.readUInt32LE(o), bytes.readUInt32LE(o + 4), (w2 & ~0xff) >>> 0], w2 & 0xff);
    }
  }

  private find(digest: readonly [number, number, number]): number {
    const mask = this.slots.length - 1;
    for (let s = digest[0] & mask; ; s = (s + 1) & mask) {
      const held = this.slots[s] ?? 0;
      if (held === 0) return -1;
      const base = (held - 1) * WORDS;
      if (
        this.word(base) === digest[0] &&
        this.word(base + 1) === digest[1] &&
        (this.word(base + 2) & ~0xff) >>> 0 === digest[2]
      )
        return held - 1;
    }
  }

  private place(index: number): void {
    const mask = this.slots.length - 1;
    let s = this.word(index * WORDS) & mask;
    while ((this.slots[s] ?? 0) !== 0) s = (s + 1) & mask;
    this.slots[s] = index + 1;
  }

  private word(i: number): number {
    return this.entries[i] ?? 0;
  }

  private reindex(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let i = 0; i < this.count; i += 1) this.place(i);
  }
}
