import {
  Decider,
  DomainError,
  Violation,
  assertNever,
  assertValid,
  isSealedSecret,
  resealApplies,
  resealViolations,
} from '../shared/decider';
import { rules } from '../shared/rules';
import {
  ACT_DELIVERY_METHODS,
  INCOMING_EMAIL_DELIVERY_METHODS,
  OUTGOING_EMAIL_DELIVERY_METHODS,
} from '../organization/types';
import { AreaTestResult, MailboxCommand, MailboxProfileFacts } from './commands';
import { AreaOutcome, MailboxEvent } from './events';
import { decidePollStart, decideSyncOutcome, evolveSync } from './sync';
import {
  AREA_FIELDS,
  BULK_EDIT_FIELDS,
  ERROR_CLASSES,
  MAILBOX_AREAS,
  MAILBOX_DEFAULTS,
  MAILBOX_FIELDS,
  MAILBOX_KINDS,
  Mailbox,
  MailboxArea,
  MailboxSettings,
  MailboxSettingsPatch,
  MailboxTestState,
  MailboxTestStatus,
  PREFLIGHT_FAILURES,
  SYNCHRONIZED_AREAS,
  ACT_NOT_SYNCHRONIZED,
  TEST_RETRY_POLICY,
  TestRetryPolicy,
} from './types';

export type MailboxState = { status: 'None' } | { status: 'Active' | 'Inactive'; mailbox: Mailbox };
type Existing = Extract<MailboxState, { status: 'Active' | 'Inactive' }>;

export const initialMailboxState = (): MailboxState => ({ status: 'None' });

const USER_OR_QUEUE_CREDENTIALS = 'CredentialsSpecifiedByUserOrQueue';

const NOT_TESTED: MailboxTestState = {
  incomingEmailStatus: 'NotRun',
  incomingEmailStatusReason: null,
  outgoingEmailStatus: 'NotRun',
  outgoingEmailStatusReason: null,
  actStatus: 'NotRun',
  actStatusReason: null,
  mailboxStatus: 'NotRun',
  mailboxStatusReason: null,
  enabledForIncomingEmail: false,
  enabledForOutgoingEmail: false,
  enabledForAct: false,
  testPending: false,
  testId: null,
  testRequestedAt: null,
  testAreas: [],
  testAttempt: 0,
  nextTestAttemptAt: null,
};

// ---------------------------------------------------------------------------------------------- validation

function objectInput(field: string, value: unknown): Violation[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? []
    : [{ field, rule: 'type', message: 'must be an object' }];
}

function unknownFields(input: object, allowed: readonly string[], what: string): Violation[] {
  const known = new Set(allowed);
  return Object.keys(input)
    .filter((k) => !known.has(k))
    .map((k) => ({ field: k, rule: 'unknownField', message: `is not a field ${what}` }));
}

/**
 * An undefined value means "not given" (what an optional DTO property becomes). Strings are trimmed; a blank
 * address or profile id means "none", as an emptied form field does.
 */
function cleanPatch(patch: MailboxSettingsPatch): MailboxSettingsPatch {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const value: unknown = typeof v === 'string' ? v.trim() : v;
    out[k] = value === '' && (k === 'emailAddress' || k === 'serverProfileId') ? null : value;
  }
  return out;
}

export function validateMailboxSettings(s: MailboxSettings): Violation[] {
  const v: Violation[] = [];
  v.push(...rules.requiredString('name', s.name, 1, 200));
  if (s.emailAddress !== null) v.push(...rules.smtpAddress('emailAddress', s.emailAddress));
  v.push(...rules.requiredString('ownerId', s.ownerId, 1, 128));
  if (s.serverProfileId !== null)
    v.push(...rules.requiredString('serverProfileId', s.serverProfileId, 1, 128));
  v.push(
    ...rules.oneOf(
      'incomingEmailDeliveryMethod',
      s.incomingEmailDeliveryMethod,
      INCOMING_EMAIL_DELIVERY_METHODS,
    ),
  );
  v.push(
    ...rules.oneOf(
      'outgoingEmailDeliveryMethod',
      s.outgoingEmailDeliveryMethod,
      OUTGOING_EMAIL_DELIVERY_METHODS,
    ),
  );
  v.push(...rules.oneOf('actDeliveryMethod', s.actDeliveryMethod, ACT_DELIVERY_METHODS));
  v.push(...rules.boolean('syncOnlyFromThisOrg', s.syncOnlyFromThisOrg));
  return v;
}

/** A profile a mailbox is moved to must exist and be active; the handler's facts say so. */
function profileViolations(
  field: string,
  profileId: string,
  facts: MailboxProfileFacts | undefined,
): Violation[] {
  if (facts === undefined)
    throw new Error(`a command assigns profile ${profileId} but carries no facts about it`);
  if (!facts.exists)
    return [{ field, rule: 'profileExists', message: `email server profile ${profileId} does not exist` }];
  if (!facts.active)
    return [{ field, rule: 'profileActive', message: `email server profile ${profileId} is deactivated` }];
  return [];
}

// ---------------------------------------------------------------------------------------------- helpers

function requireExisting(state: MailboxState, mailboxId: string): Existing {
  if (state.status === 'None') throw new DomainError('not-found', `mailbox ${mailboxId} does not exist`);
  return state;
}

function requireActive(state: MailboxState, mailboxId: string): Mailbox {
  const current = requireExisting(state, mailboxId);
  if (current.status === 'Inactive') throw new DomainError('gone', `mailbox ${mailboxId} is deactivated`);
  return current.mailbox;
}

/** SMTP addresses are compared without case: Exchange resolves them so, and a case fix is not a new address. */
function sameAddress(a: string | null, b: string | null): boolean {
  return a === b || (a !== null && b !== null && a.toLowerCase() === b.toLowerCase());
}

/** Overall Mailbox Status: any failure fails it; otherwise any success; otherwise not run. */
export function overallStatus(m: MailboxTestState): { status: MailboxTestStatus; reason: string | null } {
  for (const area of MAILBOX_AREAS) {
    const f = AREA_FIELDS[area];
    if (m[f.status] === 'Failure') return { status: 'Failure', reason: m[f.reason] };
  }
  return MAILBOX_AREAS.some((a) => m[AREA_FIELDS[a].status] === 'Success')
    ? { status: 'Success', reason: null }
    : { status: 'NotRun', reason: null };
}

function usesServerSideSync(m: MailboxSettings): boolean {
  return MAILBOX_AREAS.some((a) => m[AREA_FIELDS[a].method] === 'ServerSideSync');
}

/** Pure date arithmetic on the command's own time; no clock is read. */
function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

function fold(mailboxState: MailboxState, events: readonly MailboxEvent[]): MailboxState {
  return events.reduce(evolveMailbox, mailboxState);
}

// ---------------------------------------------------------------------------------------------- settings

/**
 * Shared by UpdateMailbox, BulkEditMailbox and ApplyDefaultEmailSettings. A changed address resets approval the
 * way Dynamics does when a user's or queue's primary email changes: to PendingApproval (Empty when cleared), so an
 * administrator approves the new address. Anything the test depended on resets that area's outcome: the address,
 * the profile (all areas), an area's delivery method (that area), "sync from this org only" (ACT).
 */
function decideSettingsChange(
  m: Mailbox,
  input: unknown,
  allowed: readonly string[],
  facts: MailboxProfileFacts | undefined,
): MailboxEvent[] {
  assertValid(objectInput('changes', input));
  assertValid(unknownFields(input as object, allowed, 'this command may change on a mailbox'));
  const patch = cleanPatch(input as MailboxSettingsPatch);
  const current: MailboxSettings = pickSettings(m);
  const next: MailboxSettings = { ...current, ...patch };
  const violations = validateMailboxSettings(next);
  if (
    violations.length === 0 &&
    next.serverProfileId !== null &&
    next.serverProfileId !== current.serverProfileId
  ) {
    violations.push(...profileViolations('serverProfileId', next.serverProfileId, facts));
  }
  assertValid(violations);

  const changes: Record<string, unknown> = {};
  for (const k of MAILBOX_FIELDS) if (current[k] !== next[k]) changes[k] = next[k];
  if (Object.keys(changes).length === 0) return [];

  const addressChanged = !sameAddress(current.emailAddress, next.emailAddress);
  const reset = new Set<MailboxArea>();
  if (addressChanged || current.serverProfileId !== next.serverProfileId)
    MAILBOX_AREAS.forEach((a) => reset.add(a));
  for (const area of MAILBOX_AREAS) {
    const f = AREA_FIELDS[area].method;
    if (current[f] !== next[f]) reset.add(area);
  }
  if (current.syncOnlyFromThisOrg !== next.syncOnlyFromThisOrg) reset.add('act');
  const data: Extract<MailboxEvent, { type: 'MailboxUpdated' }>['data'] = {
    mailboxId: m.mailboxId,
    changes: changes,
    resetAreas: MAILBOX_AREAS.filter((a) => reset.has(a)),
  };
  if (addressChanged) data.emailAddressStatus = next.emailAddress === null ? 'Empty' : 'PendingApproval';
  return [{ type: 'MailboxUpdated', data }];
}

function pickSettings(m: Mailbox): MailboxSettings {
  const s = {} as Record<string, unknown>;
  for (const k of MAILBOX_FIELDS) s[k] = m[k];
  return s as unknown as MailboxSettings;
}

// ---------------------------------------------------------------------------------------------- test & enable

/**
 * Test & Enable (M-6). The request is recorded (TestRequested) and the statuses keep their last outcome, marked
 * by `testPending`, until the worker reports: resetting them to NotRun would hide the last known result and
 * disable a working mailbox for as long as a re-test waits in the queue.
 *
 * A mailbox that cannot work as configured (no address; address not approved where the organization requires
 * approval; no, unknown or deactivated profile; missing user/queue credentials) is still tested, as the seed
 * page's Test & Enable always runs: the test fails at once, permanently, with that reason and the mailbox is
 * disabled, the way Dynamics reports an unapproved mailbox — rather than refusing the command, which in a bulk
 * run would leave such mailboxes silently untested and without an alert for their owner.
 */
function decideTest(
  m: Mailbox,
  testId: string,
  at: string,
  approvalRequired: boolean,
  profile: MailboxProfileFacts | undefined,
): MailboxEvent[] {
  const wanted = MAILBOX_AREAS.filter((a) => m[AREA_FIELDS[a].method] === 'ServerSideSync');
  if (wanted.length === 0) {
    throw DomainError.validation([
      {
        field: 'deliveryMethods',
        rule: 'serverSideSyncRequired',
        message: 'no delivery method of the mailbox is server-side synchronization; there is nothing to test',
      },
    ]);
  }
  if (m.testPending && m.testId === testId) return []; // the same request again
  const areas = wanted.filter((a) => SYNCHRONIZED_AREAS.includes(a));
  const requested: MailboxEvent = {
    type: 'TestRequested',
    data: { mailboxId: m.mailboxId, testId, requestedAt: at, areas },
  };
  const reason = preflightFailure(m, approvalRequired, profile);
  // Nothing to reach Exchange for: a preflight failure, or only areas this version does not synchronize.
  if (reason === null && areas.length > 0) return [requested];
  const outcomes: Partial<Record<MailboxArea, AreaOutcome>> = notSynchronized(m);
  if (reason !== null)
    for (const a of areas)
      outcomes[a] = { status: 'Failure', reason, errorClass: 'Permanent', enabled: false };
  const after: MailboxTestState = { ...m };
  applyOutcomes(after, outcomes);
  const overall = reason === null ? overallStatus(after) : { status: 'Failure' as const, reason };
  return [
    requested,
    {
      type: 'MailboxTestCompleted',
      data: {
        mailboxId: m.mailboxId,
        testId,
        attempt: 0,
        completedAt: at,
        areas: outcomes,
        mailboxStatus: overall.status,
        mailboxStatusReason: overall.reason,
        retry: null,
        retriesExhausted: false,
      },
    },
  ];
}

/** The mailbox's areas set to server-side sync that this version does not synchronize: reported not run. */
function notSynchronized(m: MailboxSettings): Partial<Record<MailboxArea, AreaOutcome>> {
  const outcomes: Partial<Record<MailboxArea, AreaOutcome>> = {};
  if (m.actDeliveryMethod === 'ServerSideSync')
    outcomes.act = { status: 'NotRun', reason: ACT_NOT_SYNCHRONIZED, errorClass: null, enabled: false };
  return outcomes;
}

function preflightFailure(
  m: Mailbox,
  approvalRequired: boolean,
  profile: MailboxProfileFacts | undefined,
): string | null {
  if (m.emailAddress === null) return PREFLIGHT_FAILURES.EmailAddressEmpty;
  if (approvalRequired && m.emailAddressStatus !== 'Approved')
    return PREFLIGHT_FAILURES.EmailAddressNotApproved;
  if (m.serverProfileId === null) return PREFLIGHT_FAILURES.NoServerProfile;
  if (profile === undefined)
    throw new Error(`testing mailbox ${m.mailboxId} needs the facts of profile ${m.serverProfileId}`);
  if (!profile.exists) return PREFLIGHT_FAILURES.ServerProfileNotFound;
  if (!profile.active) return PREFLIGHT_FAILURES.ServerProfileInactive;
  if (profile.authenticateUsing === USER_OR_QUEUE_CREDENTIALS && m.credentials === null) {
    return PREFLIGHT_FAILURES.CredentialsMissing;
  }
  return null;
}

function resultViolations(
  tested: readonly MailboxArea[],
  results: unknown,
  policy: TestRetryPolicy,
): Violation[] {
  const v: Violation[] = [...objectInput('results', results)];
  if (v.length > 0) return v;
  const given = results as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    // A worker of an earlier version may still report the ACT area of a test it began: not counted (below).
    if (!(tested as readonly string[]).includes(k) && k !== 'act') {
      v.push({
        field: `results.${k}`,
        rule: 'notTested',
        message: 'this area is not part of the test attempt',
      });
    }
  }
  for (const area of tested) {
    if (!SYNCHRONIZED_AREAS.includes(area)) continue;
    const field = `results.${area}`;
    const r = given[area] as AreaTestResult | undefined;
    if (r === undefined || r === null || typeof r !== 'object') {
      v.push({ field, rule: 'required', message: 'every tested area needs a result' });
      continue;
    }
    v.push(...rules.oneOf(`${field}.outcome`, r.outcome, ['Success', 'Failure'] as const));
    if (r.outcome === 'Failure') {
      v.push(...rules.requiredString(`${field}.reason`, r.reason, 1, 2000));
      v.push(...rules.oneOf(`${field}.errorClass`, r.errorClass, ERROR_CLASSES));
    }
  }
  v.push(...rules.integerInRange('policy.maxTransientRetries', policy.maxTransientRetries, 0, 1000));
  v.push(...rules.integerInRange('policy.retryDelayMinutes', policy.retryDelayMinutes, 0, 7 * 24 * 60));
  return v;
}

/**
 * M-6 outcome: success enables the area; a permanent failure disables it at once; a transient failure keeps the
 * area as it was and schedules a retry of the failing areas, until `maxTransientRetries` retries have failed,
 * after which it counts as permanent. Alerts (owner, profile owner) are derived from this event downstream.
 */
function decideTestResult(
  m: Mailbox,
  command: Extract<MailboxCommand, { type: 'RecordTestResult' }>,
): MailboxEvent[] {
  // Stale (another test, an earlier attempt) or repeated results change nothing: the worker may deliver twice.
  if (!m.testPending || command.testId !== m.testId || command.attempt !== m.testAttempt) return [];
  const policy = command.policy ?? TEST_RETRY_POLICY;
  assertValid(resultViolations(m.testAreas, command.results, policy));
  const retriesLeft = m.testAttempt < policy.maxTransientRetries;
  const areas: Partial<Record<MailboxArea, AreaOutcome>> = notSynchronized(m);
  const retryAreas: MailboxArea[] = [];
  let exhausted = false;
  for (const area of m.testAreas) {
    // A test requested by an earlier version may include ACT: reported not run, whatever the worker found.
    if (!SYNCHRONIZED_AREAS.includes(area)) continue;
    const r = command.results[area] as AreaTestResult;
    if (r.outcome === 'Success') {
      areas[area] = { status: 'Success', reason: null, errorClass: null, enabled: true };
    } else if (r.errorClass === 'Transient' && retriesLeft) {
      areas[area] = {
        status: 'Failure',
        reason: r.reason,
        errorClass: 'Transient',
        enabled: m[AREA_FIELDS[area].enabled],
      };
      retryAreas.push(area);
    } else {
      if (r.errorClass === 'Transient') exhausted = true;
      areas[area] = { status: 'Failure', reason: r.reason, errorClass: r.errorClass, enabled: false };
    }
  }
  const after: MailboxTestState = { ...m };
  applyOutcomes(after, areas);
  const overall = overallStatus(after);
  return [
    {
      type: 'MailboxTestCompleted',
      data: {
        mailboxId: m.mailboxId,
        testId: m.testId,
        attempt: m.testAttempt,
        completedAt: command.issuedAt,
        areas,
        mailboxStatus: overall.status,
        mailboxStatusReason: overall.reason,
        retry:
          retryAreas.length === 0
            ? null
            : {
                attempt: m.testAttempt + 1,
                nextAttemptAt: addMinutes(command.issuedAt, policy.retryDelayMinutes),
                areas: retryAreas,
              },
        retriesExhausted: exhausted,
      },
    },
  ];
}

function applyOutcomes(t: MailboxTestState, areas: Partial<Record<MailboxArea, AreaOutcome>>): void {
  for (const area of MAILBOX_AREAS) {
    const o = areas[area];
    if (o === undefined) continue;
    const f = AREA_FIELDS[area];
    t[f.status] = o.status;
    t[f.reason] = o.reason;
    t[f.enabled] = o.enabled;
  }
}

function resetAreas(t: MailboxTestState, reset: readonly MailboxArea[]): void {
  if (reset.length === 0) return;
  for (const area of reset) {
    const f = AREA_FIELDS[area];
    t[f.status] = 'NotRun';
    t[f.reason] = null;
    t[f.enabled] = false;
  }
  // the pending test was for the old configuration; its result will be ignored
  t.testPending = false;
  t.testAreas = [];
  t.nextTestAttemptAt = null;
  const overall = overallStatus(t);
  t.mailboxStatus = overall.status;
  t.mailboxStatusReason = overall.reason;
}

// ---------------------------------------------------------------------------------------------- decide

export function decideMailbox(command: MailboxCommand, state: MailboxState): MailboxEvent[] {
  switch (command.type) {
    case 'ProvisionMailbox': {
      if (state.status !== 'None')
        throw new DomainError('conflict', `mailbox ${command.mailboxId} already exists`);
      assertValid(rules.oneOf('kind', command.kind, MAILBOX_KINDS));
      assertValid(objectInput('settings', command.settings));
      assertValid(unknownFields(command.settings, MAILBOX_FIELDS, 'of a mailbox'));
      const settings: MailboxSettings = {
        ...MAILBOX_DEFAULTS,
        ...cleanPatch(command.settings),
      } as MailboxSettings;
      const violations = validateMailboxSettings(settings);
      if (violations.length === 0 && settings.serverProfileId !== null) {
        violations.push(
          ...profileViolations('serverProfileId', settings.serverProfileId, command.serverProfile),
        );
      }
      assertValid(violations);
      return [
        {
          type: 'MailboxProvisioned',
          data: {
            mailboxId: command.mailboxId,
            kind: command.kind,
            settings,
            emailAddressStatus: settings.emailAddress === null ? 'Empty' : 'PendingApproval',
          },
        },
      ];
    }
    case 'UpdateMailbox': {
      const m = requireActive(state, command.mailboxId);
      return decideSettingsChange(m, command.changes, MAILBOX_FIELDS, command.serverProfile);
    }
    case 'BulkEditMailbox': {
      const m = requireActive(state, command.mailboxId);
      return decideSettingsChange(m, command.changes, BULK_EDIT_FIELDS, command.serverProfile);
    }
    case 'ApplyDefaultEmailSettings': {
      const m = requireActive(state, command.mailboxId);
      const d = command.defaults;
      const changed = decideSettingsChange(
        m,
        {
          serverProfileId: d.defaultServerProfileId,
          incomingEmailDeliveryMethod: d.incomingEmailDeliveryMethod,
          outgoingEmailDeliveryMethod: d.outgoingEmailDeliveryMethod,
          actDeliveryMethod: d.actDeliveryMethod,
        },
        BULK_EDIT_FIELDS,
        command.serverProfile,
      );
      const after = fold(state, changed);
      // Defaults without server-side sync (e.g. Outlook) leave nothing for this product to test.
      if (command.testAndEnable === false || after.status === 'None' || !usesServerSideSync(after.mailbox))
        return changed;
      const test = decideTest(
        after.mailbox,
        command.commandId,
        command.issuedAt,
        command.approvalRequired,
        command.serverProfile,
      );
      return [...changed, ...test];
    }
    case 'SetMailboxCredentials': {
      const m = requireActive(state, command.mailboxId);
      const c = command.credentials;
      if (c === null) {
        return m.credentials === null
          ? []
          : [
              {
                type: 'MailboxCredentialsSet',
                data: { mailboxId: m.mailboxId, credentials: null, resetAreas: [...MAILBOX_AREAS] },
              },
            ];
      }
      assertValid(objectInput('credentials', c));
      const v: Violation[] = [...rules.requiredString('credentials.userName', c.userName, 1, 256)];
      if (!isSealedSecret(c.password)) {
        v.push({
          field: 'credentials.password',
          rule: 'sealed',
          message: 'must be sealed before it reaches the domain',
        });
      }
      assertValid(v);
      // Good credentials the mailbox cannot use now (its profile's setting may change): a conflict, not bad input.
      if (command.profileAuthenticateUsing !== USER_OR_QUEUE_CREDENTIALS) {
        const message = `mailbox credentials are used only when the mailbox's profile authenticates with ${USER_OR_QUEUE_CREDENTIALS}`;
        throw new DomainError('conflict', message, [
          { field: 'credentials', rule: 'onlyWithUserOrQueueCredentials', message },
        ]);
      }
      const credentials = { userName: c.userName.trim(), password: c.password };
      if (
        m.credentials !== null &&
        m.credentials.userName === credentials.userName &&
        m.credentials.password === credentials.password
      ) {
        return [];
      }
      return [
        {
          type: 'MailboxCredentialsSet',
          data: { mailboxId: m.mailboxId, credentials, resetAreas: [...MAILBOX_AREAS] },
        },
      ];
    }
    case 'ApproveEmail':
    case 'RejectEmail': {
      const m = requireActive(state, command.mailboxId);
      if (m.emailAddress === null) {
        throw DomainError.validation([
          {
            field: 'emailAddress',
            rule: 'required',
            message: 'a mailbox without an email address cannot be approved or rejected',
          },
        ]);
      }
      const approve = command.type === 'ApproveEmail';
      if (m.emailAddressStatus === (approve ? 'Approved' : 'Rejected')) return [];
      const data = { mailboxId: m.mailboxId, emailAddress: m.emailAddress };
      return [approve ? { type: 'MailboxEmailApproved', data } : { type: 'MailboxEmailRejected', data }];
    }
    case 'RequestTest': {
      const m = requireActive(state, command.mailboxId);
      return decideTest(
        m,
        command.commandId,
        command.issuedAt,
        command.approvalRequired,
        command.serverProfile,
      );
    }
    case 'RecordTestResult': {
      const current = requireExisting(state, command.mailboxId);
      // a deactivated mailbox is not enabled by a late result
      return current.status === 'Inactive' ? [] : decideTestResult(current.mailbox, command);
    }
    case 'ReassignProfile': {
      const current = requireExisting(state, command.mailboxId);
      // P-14 is run by a process manager over many mailboxes: one already moved (or deactivated) is not an error.
      if (current.status === 'Inactive' || current.mailbox.serverProfileId !== command.fromProfileId)
        return [];
      const m = current.mailbox;
      const v = rules.requiredString('toProfileId', command.toProfileId, 1, 128);
      if (v.length === 0 && command.toProfileId === command.fromProfileId) {
        v.push({ field: 'toProfileId', rule: 'otherProfile', message: 'must name another profile' });
      }
      if (v.length === 0) v.push(...profileViolations('toProfileId', command.toProfileId, command.toProfile));
      assertValid(v);
      const moved: MailboxEvent[] = [
        {
          type: 'MailboxProfileReassigned',
          data: {
            mailboxId: m.mailboxId,
            fromProfileId: command.fromProfileId,
            toProfileId: command.toProfileId,
            resetAreas: [...MAILBOX_AREAS],
          },
        },
      ];
      const after = fold(state, moved);
      if (command.testAndEnable === false || !usesServerSideSync(m) || after.status === 'None') return moved;
      return [
        ...moved,
        ...decideTest(
          after.mailbox,
          command.commandId,
          command.issuedAt,
          command.approvalRequired,
          command.toProfile,
        ),
      ];
    }
    case 'RecordSyncOutcome': {
      const current = requireExisting(state, command.mailboxId);
      // A deactivated mailbox is not polled; a late outcome changes nothing.
      return current.status === 'Inactive' ? [] : decideSyncOutcome(current.mailbox, command);
    }
    case 'StartPoll': {
      const current = requireExisting(state, command.mailboxId);
      return current.status === 'Inactive' ? [] : decidePollStart(current.mailbox, command);
    }
    case 'DeactivateMailbox': {
      const current = requireExisting(state, command.mailboxId);
      return current.status === 'Inactive'
        ? []
        : [{ type: 'MailboxDeactivated', data: { mailboxId: command.mailboxId } }];
    }
    case 'ResealMailboxCredentials': {
      // Deactivated mailboxes too: they keep their credentials and may be provisioned again by Test & Enable.
      const m = requireExisting(state, command.mailboxId).mailbox;
      assertValid(resealViolations('password', command.keyId, command.password));
      // Credentials cleared or set again since the reseal was made: the newer value stays.
      if (!resealApplies(m.credentials?.password ?? null, command.password, command.keyId)) return [];
      return [
        {
          type: 'MailboxCredentialsResealed',
          data: { mailboxId: m.mailboxId, keyId: command.keyId, password: command.password.to },
        },
      ];
    }
    default:
      return assertNever(command, 'mailbox command');
  }
}

// ---------------------------------------------------------------------------------------------- evolve

function update(state: MailboxState, change: (m: Mailbox) => void): MailboxState {
  if (state.status === 'None') return state;
  const mailbox: Mailbox = { ...state.mailbox, testAreas: [...state.mailbox.testAreas] };
  if (mailbox.credentials !== null) mailbox.credentials = { ...mailbox.credentials };
  change(mailbox);
  return { ...state, mailbox };
}

export function evolveMailbox(state: MailboxState, event: MailboxEvent): MailboxState {
  switch (event.type) {
    case 'MailboxProvisioned':
      return {
        status: 'Active',
        mailbox: {
          mailboxId: event.data.mailboxId,
          kind: event.data.kind,
          ...event.data.settings,
          emailAddressStatus: event.data.emailAddressStatus,
          credentials: null,
          ...NOT_TESTED,
          testAreas: [],
        },
      };
    case 'MailboxUpdated':
      return update(state, (m) => {
        Object.assign(m, event.data.changes);
        if (event.data.emailAddressStatus !== undefined) m.emailAddressStatus = event.data.emailAddressStatus;
        resetAreas(m, event.data.resetAreas);
      });
    case 'MailboxCredentialsSet':
      return update(state, (m) => {
        m.credentials = event.data.credentials === null ? null : { ...event.data.credentials };
        resetAreas(m, event.data.resetAreas);
      });
    case 'MailboxCredentialsResealed':
      return update(state, (m) => {
        if (m.credentials !== null) m.credentials.password = event.data.password;
      });
    case 'MailboxEmailApproved':
      return update(state, (m) => {
        m.emailAddressStatus = 'Approved';
      });
    case 'MailboxEmailRejected':
      return update(state, (m) => {
        m.emailAddressStatus = 'Rejected';
      });
    case 'TestRequested':
      return update(state, (m) => {
        m.testPending = true;
        m.testId = event.data.testId;
        m.testRequestedAt = event.data.requestedAt;
        m.testAreas = [...event.data.areas];
        m.testAttempt = 0;
        m.nextTestAttemptAt = null;
      });
    case 'MailboxTestCompleted':
      return update(state, (m) => {
        applyOutcomes(m, event.data.areas);
        m.mailboxStatus = event.data.mailboxStatus;
        m.mailboxStatusReason = event.data.mailboxStatusReason;
        const retry = event.data.retry;
        m.testPending = retry !== null;
        m.testAttempt = retry === null ? event.data.attempt : retry.attempt;
        m.testAreas = retry === null ? [] : [...retry.areas];
        m.nextTestAttemptAt = retry === null ? null : retry.nextAttemptAt;
      });
    case 'MailboxProfileReassigned':
      return update(state, (m) => {
        m.serverProfileId = event.data.toProfileId;
        resetAreas(m, event.data.resetAreas);
      });
    case 'MailboxDeactivated': {
      const next = update(state, (m) => {
        m.enabledForIncomingEmail = false;
        m.enabledForOutgoingEmail = false;
        m.enabledForAct = false;
        m.testPending = false;
        m.testAreas = [];
        m.nextTestAttemptAt = null;
      });
      return next.status === 'None' ? next : { ...next, status: 'Inactive' };
    }
    case 'MailboxSynced':
    case 'MailboxSyncFailed':
    case 'MailboxSyncReset':
    case 'MailboxPollStarted':
      return update(state, (m) => evolveSync(m, event));
    default:
      return assertNever(event, 'mailbox event');
  }
}

export const mailboxDecider: Decider<MailboxCommand, MailboxEvent, MailboxState> = {
  decide: decideMailbox,
  evolve: evolveMailbox,
  initialState: initialMailboxState,
};
