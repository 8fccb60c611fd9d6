/** One EWS request as the simulator saw it: who asked, for which mailbox, which operation, and how it ended. */
export interface RequestLogEntry {
  /** Arrival time, ms since the epoch. */
  time: number;
  /** The authenticated account (lower case). */
  account: string;
  /** The mailbox the request works on: the impersonated one, or the caller's own (null: the caller has none). */
  mailbox: string | null;
  impersonated: boolean;
  operation: string;
  /** HTTP status once the response finished (null while in flight). */
  status: number | null;
  /** SyncFolderItems only: the answer said more changes are waiting (the client's next call is another page). */
  moreAvailable?: boolean;
}

/**
 * The last `capacity` EWS requests, in arrival order (a ring: old entries drop off). Lets tests and benchmarks
 * check how a client used the server — e.g. how often each mailbox was polled — without a packet capture.
 */
export class RequestLog {
  private ring: RequestLogEntry[] = [];
  private next = 0;
  /** Requests ever recorded (including those that dropped off the ring). */
  total = 0;

  constructor(readonly capacity: number) {}

  record(entry: RequestLogEntry): RequestLogEntry {
    if (this.capacity <= 0) return entry;
    this.total++;
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else {
      this.ring[this.next] = entry;
      this.next = (this.next + 1) % this.capacity;
    }
    return entry;
  }

  /** Entries oldest first, optionally only those of one mailbox / operation / since a time. */
  entries(filter: { mailbox?: string; operation?: string; since?: number } = {}): RequestLogEntry[] {
    const all =
      this.ring.length < this.capacity
        ? this.ring
        : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    const mailbox = filter.mailbox?.toLowerCase();
    return all.filter(
      (e) =>
        (mailbox === undefined || e.mailbox === mailbox) &&
        (filter.operation === undefined || e.operation === filter.operation) &&
        (filter.since === undefined || e.time >= filter.since),
    );
  }

  clear(): void {
    this.ring = [];
    this.next = 0;
    this.total = 0;
  }
}
