import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A built app running as its own process, with everything it prints kept for inspection. */
export class AppProcess {
  output = '';
  private proc: ChildProcess | null = null;
  /** Its readiness endpoint, when a test waits on it. */
  readyUrl: string | null = null;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly args: string[] = [],
  ) {}

  start(): this {
    const file = path.join(ROOT, 'dist', this.entry);
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
    this.proc = spawn(process.execPath, [file, ...this.args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    return this;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Started and not exited. */
  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  withReady(url: string): this {
    this.readyUrl = url;
    return this;
  }

  /** SIGKILL: no shutdown hooks, no flush — a crash. */
  kill9(): Promise<void> {
    return this.signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill(sig);
    });
  }
}

export async function waitForHttp(url: string, timeoutMs = 90000, app?: AppProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${url} not ready after ${timeoutMs} ms${app ? `\n--- ${app.name} output ---\n${app.output.slice(-4000)}` : ''}`,
  );
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
