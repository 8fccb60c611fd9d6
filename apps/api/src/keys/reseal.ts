import { randomUUID } from 'node:crypto';
import {
  MailboxCommand,
  MailboxState,
  PROFILE_SECRET_FIELDS,
  ProfileCommand,
  ProfileSecretField,
  ProfileState,
  SealedSecret,
  sealedKeyId,
} from '@ssync/domain';
import { CommandResult, SendCommand } from '@ssync/messaging';
import { credentialSealContext } from '@ssync/security';

/** One sealed credential of a profile or a mailbox, as the aggregate's state holds it. */
export type SealedCredential =
  | { aggregateType: 'profile'; aggregateId: string; field: ProfileSecretField; sealed: SealedSecret }
  | { aggregateType: 'mailbox'; aggregateId: string; field: 'password'; sealed: SealedSecret };

/** The additional authenticated data the value was sealed with; a mismatch fails, never reseals onto another record. */
export function secretContext(c: SealedCredential): string {
  return credentialSealContext(c.aggregateType, c.aggregateId, c.field);
}

/** Every sealed credential, deactivated profiles and mailboxes included (they may come back). */
export function sealedCredentials(
  profiles: Iterable<[string, { state: ProfileState }]>,
  mailboxes: Iterable<[string, { state: MailboxState }]>,
): SealedCredential[] {
  const out: SealedCredential[] = [];
  for (const [aggregateId, { state }] of profiles) {
    if (state.status === 'None') continue;
    for (const field of PROFILE_SECRET_FIELDS) {
      const sealed = state.settings[field];
      if (sealed !== null) out.push({ aggregateType: 'profile', aggregateId, field, sealed });
    }
  }
  for (const [aggregateId, { state }] of mailboxes) {
    if (state.status === 'None' || state.mailbox.credentials === null) continue;
    const sealed = state.mailbox.credentials.password;
    out.push({ aggregateType: 'mailbox', aggregateId, field: 'password', sealed });
  }
  return out;
}

export interface KeyCensus {
  activeKeyId: string;
  total: number;
  /** Credentials per key id that seals them. */
  byKeyId: Record<string, number>;
  /** Sealed with a key other than the active one: while this is not 0, no old key may leave the keyring. */
  underOldKeys: number;
}

export function keyCensus(credentials: readonly SealedCredential[], activeKeyId: string): KeyCensus {
  const byKeyId: Record<string, number> = {};
  for (const c of credentials) {
    const keyId = sealedKeyId(c.sealed);
    byKeyId[keyId] = (byKeyId[keyId] ?? 0) + 1;
  }
  const total = credentials.length;
  return { activeKeyId, total, byKeyId, underOldKeys: total - (byKeyId[activeKeyId] ?? 0) };
}

export interface ResealProgress {
  /** Credentials under an old key when the run began. */
  total: number;
  done: number;
  resealed: number;
  /** Changed or cleared since the run read them: the newer value was left as it is. */
  skipped: number;
  failed: number;
}

export interface ResealReport extends ResealProgress {
  activeKeyId: string;
  failures: { aggregateType: 'profile' | 'mailbox'; aggregateId: string; reason: string }[];
}

/** What a run needs: SecretBox's reseal and the command gateway's batch send. */
export interface ResealPort {
  activeKeyId: string;
  /** Opens (proving the old key still works) and seals again under the active key. */
  reseal(sealed: SealedSecret, context: string): SealedSecret;
  sendBatch(
    commands: SendCommand<ProfileCommand | MailboxCommand>[],
  ): Promise<Promise<CommandResult<ProfileState | MailboxState>>[]>;
}

export const RESEAL_ACTOR = 'system:key-rotation';

const RESEALED = { profile: 'ProfileCredentialsResealed', mailbox: 'MailboxCredentialsResealed' } as const;

interface Planned {
  aggregateType: 'profile' | 'mailbox';
  aggregateId: string;
  /** field → the value sent. */
  sent: Map<string, SealedSecret>;
  send: SendCommand<ProfileCommand | MailboxCommand>;
}

/** The value the aggregate holds now for a field, from the state its owner returned. */
function currentValue(
  aggregateType: 'profile' | 'mailbox',
  field: string,
  state: ProfileState | MailboxState | null,
): SealedSecret | null | undefined {
  if (state === null || state.status === 'None') return undefined;
  if (aggregateType === 'profile' && 'settings' in state) return state.settings[field as ProfileSecretField];
  if (aggregateType === 'mailbox' && 'mailbox' in state) return state.mailbox.credentials?.password ?? null;
  return undefined;
}

type Failure = ResealReport['failures'][number];

/** The command that moves one aggregate's credentials (`group`) to the values `to` sealed under `keyId`. */
function commandFor(
  group: readonly [SealedCredential, ...SealedCredential[]],
  to: ReadonlyMap<string, SealedSecret>,
  keyId: string,
): SendCommand<ProfileCommand | MailboxCommand> {
  const [first] = group;
  const meta = { commandId: randomUUID(), actor: RESEAL_ACTOR, issuedAt: new Date().toISOString() };
  const reseal = (c: SealedCredential) => ({ from: c.sealed, to: to.get(c.field) ?? c.sealed });
  const command: ProfileCommand | MailboxCommand =
    first.aggregateType === 'profile'
      ? {
          ...meta,
          type: 'ResealProfileCredentials',
          profileId: first.aggregateId,
          keyId,
          resealed: Object.fromEntries(group.map((c) => [c.field, reseal(c)])),
        }
      : {
          ...meta,
          type: 'ResealMailboxCredentials',
          mailboxId: first.aggregateId,
          keyId,
          password: reseal(first),
        };
  return {
    aggregateType: first.aggregateType,
    aggregateId: first.aggregateId,
    type: command.type,
    ...meta,
    command,
  };
}

/** Seals each stale credential again; an aggregate with one that cannot be opened is a failure, and not sent. */
function plan(
  stale: readonly SealedCredential[],
  port: ResealPort,
): { planned: Planned[]; failures: (Failure & { credentials: number })[] } {
  const byAggregate = new Map<string, [SealedCredential, ...SealedCredential[]]>();
  for (const c of stale) {
    const key = `${c.aggregateType}:${c.aggregateId}`;
    const group = byAggregate.get(key);
    if (group) group.push(c);
    else byAggregate.set(key, [c]);
  }
  const planned: Planned[] = [];
  const failures: (Failure & { credentials: number })[] = [];
  for (const group of byAggregate.values()) {
    const [first] = group;
    const sent = new Map<string, SealedSecret>();
    try {
      for (const c of group) sent.set(c.field, port.reseal(c.sealed, secretContext(c)));
    } catch (error) {
      // An old key already gone, or a value sealed under another context: the message names the key, no secret.
      const reason = error instanceof Error ? error.message : String(error);
      failures.push({
        aggregateType: first.aggregateType,
        aggregateId: first.aggregateId,
        reason,
        credentials: group.length,
      });
      continue;
    }
    planned.push({
      aggregateType: first.aggregateType,
      aggregateId: first.aggregateId,
      sent,
      send: commandFor(group, sent, port.activeKeyId),
    });
  }
  return { planned, failures };
}

/**
 * Reseals every credential not under the active key, one command per aggregate, `batchSize` commands per
 * produce request. Each command names the value it replaces: its owner applies it only to that value
 * (docs/adr/0019). Resumable by construction: a credential already resealed is under the active key and is not
 * planned again, so a run stopped at any point is finished by running it again.
 */
export async function resealCredentials(
  credentials: readonly SealedCredential[],
  port: ResealPort,
  onProgress: (progress: ResealProgress) => void = () => undefined,
  batchSize = 100,
): Promise<ResealReport> {
  const stale = credentials.filter((c) => sealedKeyId(c.sealed) !== port.activeKeyId);
  const report: ResealReport = {
    activeKeyId: port.activeKeyId,
    total: stale.length,
    done: 0,
    resealed: 0,
    skipped: 0,
    failed: 0,
    failures: [],
  };
  const fail = (failure: Failure, credentials: number) => {
    report.failed += credentials;
    report.done += credentials;
    report.failures.push(failure);
  };
  const { planned, failures } = plan(stale, port);
  for (const { credentials: n, ...failure } of failures) fail(failure, n);
  if (report.done > 0) onProgress(progressOf(report));

  for (let i = 0; i < planned.length; i += batchSize) {
    const batch = planned.slice(i, i + batchSize);
    const outcomes = await Promise.allSettled(await port.sendBatch(batch.map((p) => p.send)));
    outcomes.forEach((outcome, j) => {
      const p = batch[j];
      if (p === undefined) return;
      const where = { aggregateType: p.aggregateType, aggregateId: p.aggregateId };
      if (outcome.status === 'rejected') {
        const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
        fail({ ...where, reason }, p.sent.size);
        return;
      }
      const result = outcome.value;
      if (!result.accepted || result.error) {
        fail({ ...where, reason: result.error?.message ?? 'refused' }, p.sent.size);
        return;
      }
      for (const [field, to] of p.sent) {
        // The owner kept a newer value when the state holds something else than what was sent.
        const now = currentValue(p.aggregateType, field, result.state);
        const applied =
          now === undefined ? result.events.some((e) => e.type === RESEALED[p.aggregateType]) : now === to;
        if (applied) report.resealed += 1;
        else report.skipped += 1;
        report.done += 1;
      }
    });
    onProgress(progressOf(report));
  }
  return report;
}

function progressOf(r: ResealReport): ResealProgress {
  return { total: r.total, done: r.done, resealed: r.resealed, skipped: r.skipped, failed: r.failed };
}
