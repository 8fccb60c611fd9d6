import { randomUUID } from 'node:crypto';

export const FAULT_KINDS = [
  'latency',
  'http503',
  'serverBusy',
  'connectionReset',
  'authFailure',
  'invalidSyncState',
  'html500',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRuleInput {
  kind: FaultKind;
  /** Scope: all omitted = global. Account is the authenticated user name; mailbox the acting mailbox's SMTP. */
  account?: string;
  mailbox?: string;
  operation?: string;
  /** Chance per matching request (default 1). */
  probability?: number;
  /** Fire at most this many times, then the rule retires (default unlimited). */
  count?: number;
  latencyMs?: number;
  backOffMs?: number;
  /** serverBusy only: 'fault' = HTTP 500 SOAP fault (default), 'message' = HTTP 200 ResponseClass="Error". */
  as?: 'fault' | 'message';
}
export interface FaultRule extends FaultRuleInput {
  id: string;
  fired: number;
}

export interface FaultScope {
  account?: string;
  mailbox?: string;
  operation?: string;
}

/** Test/demo fault injection: rules matched per request, each with a probability and an optional count. */
export class FaultInjector {
  rules: FaultRule[] = [];
  constructor(private random: () => number = Math.random) {}

  add(input: FaultRuleInput): FaultRule {
    if (!FAULT_KINDS.includes(input.kind)) throw new Error(`unknown fault kind ${String(input.kind)}`);
    const p = input.probability ?? 1;
    if (!(p >= 0 && p <= 1)) throw new Error('probability must be within 0..1');
    const rule: FaultRule = {
      ...input,
      id: randomUUID(),
      fired: 0,
      ...(input.account ? { account: input.account.toLowerCase() } : {}),
      ...(input.mailbox ? { mailbox: input.mailbox.toLowerCase() } : {}),
    };
    this.rules.push(rule);
    return rule;
  }
  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }
  clear(): void {
    this.rules = [];
  }

  /** Rules that fire for this request, of the given kinds; fired rules are counted (and retired when used up). */
  pick(scope: FaultScope, kinds: readonly FaultKind[]): FaultRule[] {
    const out: FaultRule[] = [];
    for (const r of this.rules) {
      if (!kinds.includes(r.kind)) continue;
      if (r.account && r.account !== scope.account?.toLowerCase()) continue;
      if (r.mailbox && r.mailbox !== scope.mailbox?.toLowerCase()) continue;
      if (r.operation && r.operation !== scope.operation) continue;
      if (r.count !== undefined && r.fired >= r.count) continue;
      if ((r.probability ?? 1) < 1 && this.random() >= (r.probability ?? 1)) continue;
      r.fired++;
      out.push(r);
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.fired < r.count);
    return out;
  }
}
