import { Injectable } from '@nestjs/common';
import { StoreReadinessSource, StoresReport, storesReport } from '@ssync/messaging';
import { AlertOwnerService } from '../alerts/alert-owner.service';
import { AggregateOwnerService } from '../infrastructure/aggregate-owner.service';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether this API process has read the log as it stood when it started, in every store it answers from. Until
 * then a list of mailboxes (or a check of a profile's facts) could miss what the log already holds.
 */
@Injectable()
export class ApiReadiness {
  private caughtUpOnce = false;

  constructor(
    private readonly owners: AggregateOwnerService,
    private readonly alerts: AlertOwnerService,
    private readonly directory: MailboxDirectory,
  ) {}

  /** Every in-memory store of the process, by the name readiness reports it under. */
  stores(): Record<string, StoreReadinessSource> {
    return {
      profiles: this.owners.profileStore,
      organizations: this.owners.organizationStore,
      jobs: this.owners.jobStore,
      alerts: this.alerts.store,
      mailboxDirectory: this.directory,
    };
  }

  report(): StoresReport {
    return storesReport(this.stores());
  }

  /** True once every store has caught up to where the log stood at start (and from then on). */
  caughtUp(): boolean {
    this.caughtUpOnce ||= Object.values(this.stores()).every((s) => s.caughtUpToStart());
    return this.caughtUpOnce;
  }

  /** Waits up to `timeoutMs` for `caughtUp`; false if it is still behind then. */
  async waitUntilCaughtUp(timeoutMs: number, pollMs = 25): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.caughtUp()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(pollMs, left));
    }
    return true;
  }
}
