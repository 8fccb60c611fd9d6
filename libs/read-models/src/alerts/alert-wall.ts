import { AlertLevel } from '@ssync/domain';
import type { VersionedModels } from '../read-models';
import { ProfileDocument } from '../profiles/profile.schema';
import { alertId } from './alert.projection';
import { AlertDismissalDocument, AlertDocument, ProfileFailureDocument } from './alert.schema';

/** An alert as a user's wall shows it. */
export interface AlertView {
  id: string;
  userId: string;
  level: AlertLevel;
  message: string;
  mailboxId?: string;
  profileId?: string;
  firstSeenAt: string;
  lastSeenAt: string;
  count: number;
  dismissed: boolean;
}

/** How much of a wall is read at most per source; walls are per user and alerts repeat rather than pile up. */
const MAX_PER_SOURCE = 2000;
const MAX_FAILURE_DOCS = 20000;

/**
 * "the profile owner is alerted when more than half of a profile's mailboxes fail within an hour". Hours are
 * UTC clock hours; a mailbox counts once per hour however often it failed in it. The denominator is the profile's
 * active mailboxes now. One alert per profile: `count` hours met the condition, first/last seen are the first and
 * last failures of those hours.
 */
export function profileWideAlert(
  userId: string,
  profile: { id: string; name: string },
  activeMailboxes: number,
  failures: readonly Pick<ProfileFailureDocument, 'hour' | 'mailboxId' | 'firstAt' | 'lastAt'>[],
): Omit<AlertView, 'dismissed'> | null {
  if (activeMailboxes <= 0) return null;
  const hours = new Map<string, { mailboxes: Set<string>; first: string; last: string }>();
  for (const f of failures) {
    const h = hours.get(f.hour) ?? { mailboxes: new Set<string>(), first: f.firstAt, last: f.lastAt };
    h.mailboxes.add(f.mailboxId);
    if (f.firstAt < h.first) h.first = f.firstAt;
    if (f.lastAt > h.last) h.last = f.lastAt;
    hours.set(f.hour, h);
  }
  const met = [...hours.entries()]
    .filter(([, h]) => h.mailboxes.size * 2 > activeMailboxes)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (met.length === 0) return null;
  const [, first] = met[0]!;
  const [lastHour, last] = met[met.length - 1]!;
  return {
    // Per user: the profile owner and each affected mailbox owner dismiss their own copy.
    id: alertId(['ProfileWide', profile.id, userId]),
    userId,
    level: 'Error',
    message: `More than half of the mailboxes of email server profile "${profile.name}" failed within an hour (${last.mailboxes.size} of ${activeMailboxes} in the hour from ${lastHour}); check the Exchange server and the profile's settings.`,
    profileId: profile.id,
    firstSeenAt: first.first,
    lastSeenAt: last.last,
    count: met.length,
  };
}

function view(doc: AlertDocument, userId: string): Omit<AlertView, 'dismissed'> {
  return {
    id: doc._id,
    userId,
    level: doc.level,
    message: doc.message,
    mailboxId: doc.mailboxId,
    ...(doc.profileId !== null ? { profileId: doc.profileId } : {}),
    firstSeenAt: doc.firstSeenAt,
    lastSeenAt: doc.lastSeenAt,
    count: doc.count,
  };
}

/**
 * A user's alerts wall, newest first: alerts for the mailboxes they own, alerts for the profiles they own
 * (resolved now, from the profiles view), and the profile-wide failure alert of the profiles they own or have
 * mailboxes on (A-1: profile-level alerts also notify the affected mailbox owners). An alert the user sees both
 * as mailbox owner and as profile owner is shown once.
 */
export async function readAlertWall(models: VersionedModels, userId: string): Promise<AlertView[]> {
  const byRecency = { lastSeenAt: -1 as const, _id: -1 as const };
  const direct = await models.alerts
    .find({ audience: 'MailboxOwner', userId })
    .sort(byRecency)
    .limit(MAX_PER_SOURCE)
    .lean<AlertDocument[]>()
    .exec();
  const profiles = await models.profiles
    .find({ ownerId: userId }, { _id: 1, name: 1 })
    .lean<Pick<ProfileDocument, '_id' | 'name'>[]>()
    .exec();
  const out: Omit<AlertView, 'dismissed'>[] = direct.map((d) => view(d, userId));
  // Profiles the user's active mailboxes are on: their profile-wide alert concerns the user too.
  const owned = new Set(profiles.map((p) => p._id));
  const onProfiles = [
    ...new Set(
      (
        await models.alertSubjects
          .find({ ownerId: userId, active: true, profileId: { $ne: null } }, { profileId: 1 })
          .lean<{ profileId: string }[]>()
          .exec()
      ).map((s) => s.profileId),
    ),
  ].filter((id) => !owned.has(id));
  const affected =
    onProfiles.length === 0
      ? []
      : await models.profiles
          .find({ _id: { $in: onProfiles } }, { _id: 1, name: 1 })
          .lean<Pick<ProfileDocument, '_id' | 'name'>[]>()
          .exec();
  for (const p of [...profiles, ...affected]) {
    const active = await models.alertSubjects.countDocuments({ profileId: p._id, active: true }).exec();
    const failures = await models.profileFailures
      .find({ profileId: p._id })
      .sort({ hour: -1 })
      .limit(MAX_FAILURE_DOCS)
      .lean<ProfileFailureDocument[]>()
      .exec();
    const wide = profileWideAlert(userId, { id: p._id, name: p.name }, active, failures);
    if (wide) out.push(wide);
  }
  if (profiles.length > 0) {
    const seen = new Set(direct.map((d) => `${d.mailboxId}\u0000${d.level}\u0000${d.message}`));
    const viaProfiles = await models.alerts
      .find({ audience: 'ProfileOwner', profileId: { $in: profiles.map((p) => p._id) } })
      .sort(byRecency)
      .limit(MAX_PER_SOURCE)
      .lean<AlertDocument[]>()
      .exec();
    for (const d of viaProfiles)
      if (!seen.has(`${d.mailboxId}\u0000${d.level}\u0000${d.message}`)) out.push(view(d, userId));
  }
  const dismissals = new Map(
    (
      await models.alertDismissals
        .find({ _id: { $in: out.map((a) => a.id) } })
        .lean<AlertDismissalDocument[]>()
        .exec()
    ).map((d) => [d._id, d.through]),
  );
  return out
    .map((a) => {
      const through = dismissals.get(a.id);
      return { ...a, dismissed: through !== undefined && through >= a.lastSeenAt };
    })
    .sort((a, b) =>
      a.lastSeenAt !== b.lastSeenAt
        ? a.lastSeenAt < b.lastSeenAt
          ? 1
          : -1
        : a.id < b.id
          ? 1
          : a.id > b.id
            ? -1
            : 0,
    );
}

/** Whether a dismissal through `lastSeenAt` has been projected: one document, not the whole wall. */
export async function isAlertDismissed(
  models: VersionedModels,
  alertId: string,
  lastSeenAt: string,
): Promise<boolean> {
  const d = await models.alertDismissals.findById(alertId).lean<AlertDismissalDocument>().exec();
  return d !== null && d.through >= lastSeenAt;
}
