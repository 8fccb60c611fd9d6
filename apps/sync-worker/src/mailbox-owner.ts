import { Logger } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { CoreConfig } from '@ssync/common';
import {
  DomainError,
  MailboxCommand,
  MailboxEvent,
  MailboxKind,
  MailboxProfileFacts,
  MailboxState,
  OrganizationState,
  ProfileState,
  mailboxDecider,
  mailboxOperational,
  mailboxProfileFacts,
  organizationDecider,
  organizationEmailSettingsOf,
  profileDecider,
} from '@ssync/domain';
import {
  AggregateDefinition,
  AggregateStore,
  CommandEnvelope,
  CommandFailure,
  CommandProcessor,
  CommandResult,
  aggregateTopics,
  operationalTopic,
} from '@ssync/messaging';

/** Where the facts a mailbox command depends on come from, at the moment it is decided. */
export interface MailboxFactSource {
  profile(profileId: string): MailboxProfileFacts;
  approvalRequired(kind: MailboxKind): boolean;
}

/**
 * Facts that depend on the mailbox itself (its kind, its current profile) are filled in by the owner, against the
 * state it decides on, so they always describe the same mailbox version. Facts about a profile the command
 * names (a new profile, a reassignment target) come from the API, which validated them (docs/adr/0004).
 */
export function withOwnerFacts(
  command: MailboxCommand,
  state: MailboxState,
  facts: MailboxFactSource,
): MailboxCommand {
  if (state.status === 'None') return command;
  const m = state.mailbox;
  switch (command.type) {
    case 'RequestTest':
      return {
        ...command,
        approvalRequired: facts.approvalRequired(m.kind),
        ...(m.serverProfileId !== null ? { serverProfile: facts.profile(m.serverProfileId) } : {}),
      };
    case 'ApplyDefaultEmailSettings':
    case 'ReassignProfile':
      return { ...command, approvalRequired: facts.approvalRequired(m.kind) };
    case 'SetMailboxCredentials':
      return {
        ...command,
        profileAuthenticateUsing:
          m.serverProfileId === null ? null : facts.profile(m.serverProfileId).authenticateUsing,
      };
    case 'ProvisionMailbox':
    case 'UpdateMailbox':
    case 'BulkEditMailbox':
    case 'ApproveEmail':
    case 'RejectEmail':
    case 'RecordTestResult':
    case 'DeactivateMailbox':
    case 'RecordSyncOutcome':
    case 'StartPoll':
    case 'ResealMailboxCredentials':
      return command;
  }
}

function domainFailure(error: unknown): CommandFailure | null {
  if (!(error instanceof DomainError)) return null;
  return { kind: error.kind, message: error.message, violations: error.violations.map((v) => ({ ...v })) };
}

/** Time a claim made ahead keeps for its transaction's commit and the way back, before the start it reserves. */
export const CLAIM_RETURN_MARGIN_MS = 150;

/**
 * A poll's outcome may wait longer than other commands for its partition's transaction: the poll's claims (a few
 * a second per partition at 10,000 mailboxes) open transactions often, and an outcome usually rides in the next
 * one instead of opening its own (docs/adr/0014). A claim waits only `lingerMs`: it holds a connection slot and
 * its poll's start. A claim made ahead of its poll's due time (`notBefore`) may wait as long as an outcome, as long
 * as it is still back before that time.
 */
export function commandLinger(
  lingerMs: number,
  outcomeLingerMs: number,
  now: () => number = Date.now,
): (envelope: CommandEnvelope<MailboxCommand>) => number {
  return (envelope) => {
    if (envelope.type === 'RecordSyncOutcome') return outcomeLingerMs;
    const command = envelope.command as MailboxCommand | undefined;
    if (command?.type === 'StartPoll' && command.notBefore !== undefined) {
      const spare = Date.parse(command.notBefore) - now() - CLAIM_RETURN_MARGIN_MS;
      return Number.isFinite(spare) ? Math.max(lingerMs, Math.min(outcomeLingerMs, spare)) : lingerMs;
    }
    return lingerMs;
  };
}

/**
 * The mailbox partition owner (ARCHITECTURE: sync workers own the mailbox partitions): admin commands and, later,
 * sync outcomes for one mailbox are decided by one owner, serialized, with no lock.
 */
export class MailboxOwner {
  private readonly logger = new Logger('MailboxOwner');
  readonly mailboxes: AggregateStore<MailboxState>;
  readonly profiles: AggregateStore<ProfileState>;
  readonly organizations: AggregateStore<OrganizationState>;
  private readonly processor: CommandProcessor<MailboxCommand, MailboxEvent, MailboxState>;

  constructor(
    kafka: Kafka,
    config: CoreConfig,
    options: { lingerMs?: number; outcomeLingerMs?: number } = {},
  ) {
    const prefix = config.kafka.topicPrefix;
    const group = (what: string) => `${prefix}.${what}.state.${config.instanceId}`;
    this.mailboxes = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'mailbox').events,
      group('mailbox'),
      { ...mailboxDecider, operational: mailboxOperational },
      undefined,
      // Stamps ride along in the snapshots this owner writes, for the API's directory (docs/adr/0011).
      {
        operationalTopic: operationalTopic(prefix, 'mailbox'),
        stamps: true,
        batchedFollow: true,
        followPaceMs: config.kafka.followerPaceMs,
      },
    );
    this.profiles = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'profile').events,
      group('profile'),
      profileDecider,
    );
    this.organizations = new AggregateStore(
      kafka,
      aggregateTopics(prefix, 'organization').events,
      group('organization'),
      organizationDecider,
    );
    const facts: MailboxFactSource = {
      profile: (id) => mailboxProfileFacts(this.profiles.get(id).state),
      approvalRequired: (kind) => {
        const s = organizationEmailSettingsOf(this.organizations.get(config.orgId).state);
        return kind === 'User' ? s.processEmailsOnlyForApprovedUsers : s.processEmailsOnlyForApprovedQueues;
      },
    };
    const definition: AggregateDefinition<MailboxCommand, MailboxEvent, MailboxState> = {
      aggregateType: 'mailbox',
      initialState: mailboxDecider.initialState,
      evolve: mailboxDecider.evolve,
      decide: (command, state) => mailboxDecider.decide(withOwnerFacts(command, state, facts), state),
      toFailure: domainFailure,
      // Poll claims and routine poll outcomes are operational state, not audited history (docs/adr/0010).
      operational: mailboxOperational,
    };
    this.processor = new CommandProcessor(kafka, this.mailboxes, definition, {
      topicPrefix: prefix,
      orgId: config.orgId,
      instanceId: config.instanceId,
      lingerMs: commandLinger(options.lingerMs ?? 0, options.outcomeLingerMs ?? options.lingerMs ?? 0),
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.profiles.start(), this.organizations.start(), this.mailboxes.start()]);
    await this.processor.start();
    this.logger.log('mailbox command processor started');
  }

  /** Joined, and every store has read the log as it was at start: only then does the runtime test or poll. */
  isReady(): boolean {
    return (
      this.processor.isReady() &&
      this.mailboxes.caughtUpToStart() &&
      this.profiles.caughtUpToStart() &&
      this.organizations.caughtUpToStart()
    );
  }

  assignedPartitions(): number[] {
    return this.processor.assignedPartitions();
  }

  /**
   * A mailbox command decided here when this worker writes the mailbox's partition (a poll's claim and outcome:
   * no trip through the commands and results topics); null when another process must decide it.
   */
  decideHere(envelope: CommandEnvelope<unknown>): Promise<CommandResult | null> {
    const partition = this.mailboxes.partitionOf(envelope.aggregateId);
    if (partition === undefined) return Promise.resolve(null);
    return this.processor.decideHere(partition, envelope as CommandEnvelope<MailboxCommand>);
  }

  /** Whether this worker owns the mailbox's partition now (only the owner tests, polls and sends for it). */
  owns(mailboxId: string): boolean {
    const partition = this.mailboxes.partitionOf(mailboxId);
    return partition !== undefined && this.processor.owns(partition);
  }

  async stop(): Promise<void> {
    await this.processor.stop();
    await Promise.all([this.mailboxes.stop(), this.profiles.stop(), this.organizations.stop()]);
  }
}
