import { isDatabaseUnavailable } from '@ssync/common';
import { ServiceDependency, ServiceInterruption } from '@ssync/domain';

export type DeferredWork = keyof ServiceInterruption['deferred'];

/** Which dependency a dependency fault ({@link isDependencyFault}) names: the database's, or else the broker's. */
export function dependencyOf(error: Error): ServiceDependency {
  return isDatabaseUnavailable(error) ? 'mongodb' : 'kafka';
}

/**
 * What a worker tells the administrators about a dependency it could not reach (issue #11). A window opens at the
 * first piece of work put off for it and closes at the next piece of work done. Work is done only once both the
 * broker and the database answer, so every window open then closes. A closed window is recorded once, with the
 * work it held back.
 */
export class InterruptionTracker {
  private readonly open = new Map<ServiceDependency, ServiceInterruption>();
  private readonly closed: ServiceInterruption[] = [];

  constructor(
    private readonly role: string,
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {}

  deferred(error: Error, work: DeferredWork): void {
    const dependency = dependencyOf(error);
    let window = this.open.get(dependency);
    if (!window) {
      const at = new Date(this.now()).toISOString();
      window = {
        dependency,
        role: this.role,
        instanceId: this.instanceId,
        from: at,
        to: at,
        deferred: { polls: 0, tests: 0, sends: 0 },
      };
      this.open.set(dependency, window);
    }
    window.deferred[work] += 1;
  }

  /** A piece of work was done: every open window ends now. */
  resumed(): void {
    for (const dependency of [...this.open.keys()]) this.answered(dependency);
  }

  /** `dependency` answered (a command came back: the broker is there), whatever else is still away. */
  answered(dependency: ServiceDependency): void {
    const window = this.open.get(dependency);
    if (!window) return;
    this.closed.push({ ...window, to: new Date(this.now()).toISOString() });
    this.open.delete(dependency);
  }

  /** The windows closed and not yet recorded (taken: give back what could not be recorded with `retry`). */
  take(): ServiceInterruption[] {
    return this.closed.splice(0);
  }

  retry(interruption: ServiceInterruption): void {
    this.closed.push(interruption);
  }

  /** Windows still open (readiness and tests). */
  openWindows(): ServiceInterruption[] {
    return [...this.open.values()].map((w) => ({ ...w, deferred: { ...w.deferred } }));
  }
}
