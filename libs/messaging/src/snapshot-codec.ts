/**
 * Snapshot records are JSON, but aggregate states are plain values *and* Maps/Sets (a bulk job's results):
 * JSON.stringify would turn those into `{}`. They travel tagged and come back as what they were.
 */
const MAP = '__ssyncMap';
const SET = '__ssyncSet';

export function encodeSnapshot(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return { [MAP]: [...(v as Map<unknown, unknown>).entries()] };
    if (v instanceof Set) return { [SET]: [...(v as Set<unknown>).values()] };
    return v;
  });
}

export function decodeSnapshot<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const tagged = v as Record<string, unknown>;
      if (Array.isArray(tagged[MAP]) && Object.keys(tagged).length === 1)
        return new Map(tagged[MAP] as [unknown, unknown][]);
      if (Array.isArray(tagged[SET]) && Object.keys(tagged).length === 1)
        return new Set(tagged[SET] as unknown[]);
    }
    return v;
  }) as T;
}
