import { StoreProblem } from './aggregate-store';

/** What readiness reads of an AggregateStore (or of a service that keeps one). */
export interface StoreReadinessSource {
  caughtUpToStart(): boolean;
  startLag(): number;
  problems(): { undecodable: number; gaps: number; recent: StoreProblem[] };
}

export interface StoreStatus {
  caughtUpToStart: boolean;
  /** Records still to read before it is caught up; null until the store has looked at its topics. */
  startLag: number | null;
  undecodable: number;
  gaps: number;
}

export interface StoresReport {
  /** Every store has read its topics as they were when it started: answers from memory are complete. */
  caughtUp: boolean;
  gaps: number;
  undecodable: number;
  stores: Record<string, StoreStatus>;
  recentProblems: (StoreProblem & { store: string })[];
  /** Why the stores do not make the role ready, one line each. */
  reasons: string[];
}

const RECENT_PROBLEMS_SHOWN = 10;

/**
 * The readiness of the in-memory stores of a process. A sequence gap makes it not ready: an aggregate's state
 * is then wrong, and stays wrong after a restart, until someone repairs the log. An undecodable record is
 * reported but does not: the record may belong to no aggregate, and if it did, its next event shows a gap.
 */
export function storesReport(stores: Record<string, StoreReadinessSource>): StoresReport {
  const report: StoresReport = {
    caughtUp: true,
    gaps: 0,
    undecodable: 0,
    stores: {},
    recentProblems: [],
    reasons: [],
  };
  for (const [name, store] of Object.entries(stores)) {
    const caughtUpToStart = store.caughtUpToStart();
    const lag = store.startLag();
    const problems = store.problems();
    report.stores[name] = {
      caughtUpToStart,
      startLag: Number.isNaN(lag) ? null : lag,
      undecodable: problems.undecodable,
      gaps: problems.gaps,
    };
    report.gaps += problems.gaps;
    report.undecodable += problems.undecodable;
    report.recentProblems.push(...problems.recent.map((p) => ({ store: name, ...p })));
    if (!caughtUpToStart) {
      report.caughtUp = false;
      report.reasons.push(
        Number.isNaN(lag)
          ? `${name}: has not read its topics' ends yet`
          : `${name}: ${lag} record(s) behind the log as it was at start`,
      );
    }
    if (problems.gaps > 0)
      report.reasons.push(
        `${name}: ${problems.gaps} sequence gap(s) in the event log; its state is incomplete`,
      );
  }
  report.recentProblems = report.recentProblems.slice(-RECENT_PROBLEMS_SHOWN);
  return report;
}
