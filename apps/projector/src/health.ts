import { Readiness, roleReadiness } from '@ssync/common';
import { EventConsumerHealth } from '@ssync/messaging';
import { ProjectorService } from './projector.service';

/**
 * The projector is ready once its consumer has joined the group and has projected everything its partitions
 * held when it started, and MongoDB answers. Dead letters are reported, not a reason: they are set aside where
 * an operator finds them, and the read models hold everything else.
 */
export function projectorReadiness(
  consumer: EventConsumerHealth | null,
  activeVersion: number | null,
  mongodb: boolean,
  kafka = true,
): Readiness {
  const reasons: string[] = [];
  if (consumer && consumer.joined && !consumer.caughtUpToStart)
    reasons.push(
      consumer.startLag === null
        ? 'events: reading where the group stands'
        : `events: ${consumer.startLag} record(s) behind the log as it was at start`,
    );
  return roleReadiness({ consumerJoined: consumer?.joined ?? false, kafka, mongodb }, reasons, {
    readModelVersion: activeVersion,
    caughtUpToStart: consumer?.caughtUpToStart ?? false,
    startLag: consumer?.startLag ?? null,
    deadLetters: consumer?.deadLetters ?? null,
  });
}

/** The consumer the projector follows the log with. */
export function projectorConsumerHealth(projector: ProjectorService): EventConsumerHealth | null {
  return projector.consumerHealth();
}
