/**
 * How `npm start` restarts a role that exited unexpectedly (issue #11), as Kubernetes restarts a container: at
 * once the first time, then with doubling back-off up to `maxMs`. A run that lasted `stableMs` resets the count.
 */
export class RestartPolicy {
  private restarts = 0;

  constructor(
    private readonly options: { baseMs: number; maxMs: number; stableMs: number } = {
      baseMs: 1000,
      maxMs: 30_000,
      stableMs: 60_000,
    },
  ) {}

  /** The wait before the next start, after a run of `ranMs`; and how many restarts in a row that makes. */
  next(ranMs: number): { delayMs: number; restart: number } {
    if (ranMs >= this.options.stableMs) this.restarts = 0;
    this.restarts += 1;
    const delayMs =
      this.restarts === 1 ? 0 : Math.min(this.options.maxMs, this.options.baseMs * 2 ** (this.restarts - 2));
    return { delayMs, restart: this.restarts };
  }
}

/** One line per change of a role's readiness: what `npm start` prints while it runs. */
export function readinessChange(
  role: string,
  was: boolean | null,
  now: { ready: boolean; reasons: string[] },
): string | null {
  if (was === now.ready) return null;
  if (now.ready) return was === null ? null : `${role} ready again`;
  return `${role} not ready: ${now.reasons.join('; ') || 'no answer'}`;
}

/** The errors among a role's stderr lines, readable: a JSON log line (LOG_FORMAT=json) as its context and message. */
export function errorLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: { level?: unknown; context?: unknown; msg?: unknown } | null = null;
    if (line.startsWith('{')) {
      try {
        entry = JSON.parse(line) as { level?: unknown; context?: unknown; msg?: unknown };
      } catch {
        entry = null;
      }
    }
    if (entry) {
      if (entry.level === 'error' || entry.level === 'fatal')
        lines.push(`${typeof entry.context === 'string' ? `${entry.context}: ` : ''}${String(entry.msg)}`);
    } else if (/ERROR|Error:/.test(line)) lines.push(line);
  }
  return lines;
}
