import { useCallback, useEffect, useState } from 'react';
import { ApiProblem } from '../api/client';

export interface Loaded<T> {
  data: T | null;
  problem: ApiProblem | null;
  reload: () => void;
  /** Replaces what was loaded, e.g. with the state a write answered. */
  set: (data: T) => void;
}

/** Loads once per change of `key`; an answer that comes after the page moved on is dropped. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setProblem(null);
    load().then(
      (d) => current && setData(d),
      (e: unknown) => current && setProblem(asProblem(e)),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure each render; `key` says when it asks for something else.
  }, [key, round]);
  return { data, problem, reload: useCallback(() => setRound((r) => r + 1), []), set: setData };
}

export function asProblem(e: unknown): ApiProblem {
  return e instanceof ApiProblem ? e : new ApiProblem(0, e instanceof Error ? e.message : String(e));
}
