export interface RecoveryOptions {
  /** While a server fails, one of its failing mailboxes is polled ahead of its schedule at most this often. */
  probeEveryMs: number;
  /** Once the server answers again, its other failing mailboxes are polled within this, spread at random. */
  spreadMs: number;
}

export const DEFAULT_RECOVERY: RecoveryOptions = { probeEveryMs: 30_000, spreadMs: 20_000 };

interface FailingServer {
  mailboxes: Set<string>;
  /** When a poll of this server last started (scheduled or early). */
  lastTryAt: number;
  /** Exchange asked to back off until then (S-5): no early poll before it. */
  notBefore: number;
}

/**
 * Resumption within a probe interval of an Exchange outage ending (issue #11), without hammering a sick server.
 * Failed polls back off per mailbox, doubling up to 15 minutes (S-6), so a mailbox that failed five times in a row
 * would otherwise wait minutes after its server is back. While a server fails, one of its failing mailboxes may be
 * polled early every `probeEveryMs`; the first poll of that server to reach Exchange says it is back, and its other
 * failing mailboxes may then be polled early, spread over `spreadMs`. Early polls still respect the mailbox's
 * minimum interval (P-10, enforced by its claim), and one that fails transiently is not recorded: it neither counts
 * towards disabling the mailbox nor moves its schedule. The state is local to the worker and bounded by its failing
 * mailboxes; a restart forgets it and the recorded schedule applies.
 */
export class ServerRecovery {
  private readonly servers = new Map<string, FailingServer>();
  private readonly early = new Map<string, number>();

  constructor(
    private readonly options: RecoveryOptions = DEFAULT_RECOVERY,
    private readonly random: () => number = Math.random,
  ) {}

  /** A poll of `mailboxId` on `server` starts now. */
  started(server: string, mailboxId: string, now: number): void {
    this.early.delete(mailboxId);
    const failing = this.servers.get(server);
    if (failing) failing.lastTryAt = now;
  }

  /** A poll failed on Exchange's side, transiently or throttled; `retryAfterMs` if Exchange said how long. */
  failed(server: string, mailboxId: string, now: number, retryAfterMs = 0): void {
    let failing = this.servers.get(server);
    if (!failing) {
      failing = { mailboxes: new Set(), lastTryAt: now, notBefore: 0 };
      this.servers.set(server, failing);
    }
    failing.mailboxes.add(mailboxId);
    failing.notBefore = Math.max(failing.notBefore, now + retryAfterMs);
  }

  /** A poll of `server` reached Exchange: its other failing mailboxes are due soon. Returns them, with when. */
  reached(server: string, mailboxId: string, now: number): [string, number][] {
    const failing = this.servers.get(server);
    if (!failing) return [];
    this.servers.delete(server);
    const moved: [string, number][] = [];
    for (const id of failing.mailboxes) {
      if (id === mailboxId) continue;
      const at = now + Math.round(this.random() * this.options.spreadMs);
      this.early.set(id, at);
      moved.push([id, at]);
    }
    return moved;
  }

  /**
   * The earliest time `mailboxId` may be polled ahead of its recorded schedule (never before its minimum interval,
   * which the caller applies), or null when it has no reason to be.
   */
  earlyAt(server: string, mailboxId: string): number | null {
    const at = this.early.get(mailboxId);
    if (at !== undefined) return at;
    const failing = this.servers.get(server);
    if (!failing?.mailboxes.has(mailboxId)) return null;
    return Math.max(failing.lastTryAt + this.options.probeEveryMs, failing.notBefore);
  }

  /** The mailbox left this worker, was disabled, or polled on schedule: nothing early for it. */
  forget(mailboxId: string): void {
    this.early.delete(mailboxId);
    for (const [server, failing] of this.servers) {
      failing.mailboxes.delete(mailboxId);
      if (failing.mailboxes.size === 0) this.servers.delete(server);
    }
  }

  get size(): { failingServers: number; failingMailboxes: number; early: number } {
    let failingMailboxes = 0;
    for (const failing of this.servers.values()) failingMailboxes += failing.mailboxes.size;
    return { failingServers: this.servers.size, failingMailboxes, early: this.early.size };
  }
}
