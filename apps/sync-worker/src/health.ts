import { Readiness, answersWithin, roleReadiness } from '@ssync/common';
import { KafkaCommandGateway, storesReport } from '@ssync/messaging';
import { ActivityOwner } from './activity-owner';
import { MailboxOwner } from './mailbox-owner';

/**
 * A sync worker is ready once its command processors have joined their groups, every aggregate it keeps in
 * memory has been read up to where the log stood when it started (it decides and polls on that state), the
 * log shows no sequence gap, and the broker and MongoDB (connection slots, P-11) answer now.
 */
export class WorkerHealth {
  constructor(
    private readonly mailboxes: MailboxOwner,
    private readonly activities: ActivityOwner,
    private readonly gateway: KafkaCommandGateway,
    private readonly pingMongo: () => Promise<unknown>,
    private readonly kafkaReachable: () => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  async readiness(): Promise<Readiness> {
    const stores = storesReport({
      mailboxes: this.mailboxes.mailboxes,
      profiles: this.mailboxes.profiles,
      organizations: this.mailboxes.organizations,
      activities: this.activities.activities,
    });
    return roleReadiness(
      {
        mailboxCommandProcessor: this.mailboxes.isReady(),
        activityCommandProcessor: this.activities.isReady(),
        kafkaCommandGateway: this.gateway.isReady(),
        kafka: await this.kafkaReachable(),
        mongodb: await answersWithin(2000, this.pingMongo),
      },
      stores.reasons,
      {
        mailboxPartitions: this.mailboxes.assignedPartitions(),
        activityPartitions: this.activities.assignedPartitions(),
        // Held only for the activity partitions owned (docs/adr/0013).
        settledActivities: {
          partitions: this.activities.activities.ownedPartitions(),
          loading: this.activities.activities.loadingPartitions(),
          ...this.activities.activities.settledSize(),
        },
        stores: stores.stores,
        problems: { undecodable: stores.undecodable, gaps: stores.gaps, recent: stores.recentProblems },
      },
    );
  }
}
