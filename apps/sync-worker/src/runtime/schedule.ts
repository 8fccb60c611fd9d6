/**
 * When the next poll of a mailbox is due (P-10, B-5): never sooner than the profile's minimum interval; a mailbox
 * that had mail is polled again at that interval, an idle one backs off (doubling, bounded). Mailboxes enabled
 * together (a bulk Test & Enable) are spread once, after their first poll, over part of an interval; after that a
 * mailbox keeps its place at the interval with no jitter, because every bit of it lengthens each mailbox's period
 * (issue #12: 10 % of jitter cost 5 % of the polls an interval can hold, 1 % still 0.5 %). Failed polls retry with
 * jitter, so mailboxes failing together retry apart.
 */
export interface PollSchedule {
  /** Floor when a profile allows 0 minutes (as often as possible): a mailbox is still not hammered. */
  floorMs: number;
  /** Idle back-off stops at this many times the base interval … */
  maxIdleFactor: number;
  /** … and never exceeds this. */
  maxIdleMs: number;
  /** Up to this fraction of the delay is added at random (0: none, a mailbox keeps its place). */
  jitter: number;
  /** After a mailbox's first poll, up to this fraction of the delay is added at random instead. */
  firstSpread: number;
  /** Up to this fraction is added to the delay after a failed poll: mailboxes failing together retry apart. */
  failureJitter: number;
}

export const DEFAULT_POLL_SCHEDULE: PollSchedule = {
  floorMs: 5000,
  maxIdleFactor: 8,
  maxIdleMs: 15 * 60_000,
  jitter: 0,
  firstSpread: 0.5,
  failureJitter: 0.1,
};

/** The least time between two polls of a mailbox: the profile's minimum interval, never below the floor (P-10). */
export function minPollIntervalMs(
  minimumPollingIntervalMinutes: number,
  schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
): number {
  return Math.max(schedule.floorMs, minimumPollingIntervalMinutes * 60_000);
}

export function nextPollDelayMs(
  minimumPollingIntervalMinutes: number,
  previousDelayMs: number | null,
  hadMail: boolean,
  schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
  random: () => number = Math.random,
  firstPoll = false,
): number {
  const base = minPollIntervalMs(minimumPollingIntervalMinutes, schedule);
  if (firstPoll) return Math.round(base * (1 + schedule.firstSpread * random()));
  let delay = base;
  if (!hadMail && previousDelayMs !== null) {
    delay = Math.min(
      Math.max(base, previousDelayMs * 2),
      Math.max(base, Math.min(base * schedule.maxIdleFactor, schedule.maxIdleMs)),
    );
  }
  return Math.round(delay * (1 + schedule.jitter * random()));
}

/**
 * When to poll again after `failuresInARow` failed polls (0 for the first): the interval, doubling with each failure
 * in a row up to the idle bound, with the same jitter.
 */
export function pollFailureDelayMs(
  minimumPollingIntervalMinutes: number,
  failuresInARow: number,
  schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
  random: () => number = Math.random,
): number {
  const base = minPollIntervalMs(minimumPollingIntervalMinutes, schedule);
  const delay = Math.min(base * 2 ** Math.min(failuresInARow, 30), Math.max(base, schedule.maxIdleMs));
  return Math.round(delay * (1 + schedule.failureJitter * random()));
}
