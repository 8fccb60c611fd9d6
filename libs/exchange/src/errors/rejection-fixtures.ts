import { ServiceResponseException, SoapFaultDetails } from 'ews-javascript-api';
import type { RejectionContext } from './normalize';

/**
 * Recorded rejections (src/errors/fixtures/rejections.json, written by errors.int-spec.ts with
 * RECORD_REJECTIONS=1 against the simulator): serialized with their class name, revived onto the client's real
 * prototypes so the unit specs see what ews-javascript-api really throws.
 */
export interface RecordedRejection {
  scenario: string;
  rejection: unknown;
  context: RejectionContext;
}

const NOISE = new Set(['propertySet', 'folder', 'changes', 'item', 'keyPicker', 'keysToObjs', 'Exception']);

export function serializeRejection(value: unknown): unknown {
  if (value === undefined) return { $undefined: true };
  return JSON.parse(
    JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
      if (NOISE.has(key) || typeof v === 'function') return undefined;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name;
        const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
          Object.assign(copy, (v as { toJSON(): object }).toJSON());
        if (name && name !== 'Object') copy.$type = name;
        return copy;
      }
      return v;
    }),
  ) as unknown;
}

const PROTOS: Record<string, object> = {
  SoapFaultDetails: SoapFaultDetails.prototype,
  ServiceResponseException: ServiceResponseException.prototype,
};

export function reviveRejection(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v.$undefined === true) return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== '$type') out[k] = reviveRejection(x);
    const proto = typeof v.$type === 'string' ? PROTOS[v.$type] : undefined;
    if (proto) return Object.assign(Object.create(proto) as object, out);
    if (typeof v.$type === 'string')
      return Object.assign(Object.create({ constructor: { name: v.$type } }) as object, out);
    return out;
  }
  if (Array.isArray(value)) return value.map(reviveRejection);
  return value;
}
