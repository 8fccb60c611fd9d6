import { useEffect, useState } from 'react';
import type { ApiProblem } from '../api/client';
import { asProblem, useLoad } from './use-load';

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CursorList<T> {
  /** The pages read so far, in order; null while the first is loading. */
  items: T[] | null;
  /** The cursor of the next page; null after the last one. */
  cursor: string | null;
  /** The first page's problem, else the last Load more's. */
  problem: ApiProblem | null;
  loadMore: () => Promise<void>;
  /** Reads the first page again and forgets the pages after it. */
  reload: () => void;
}

/** A list read a page at a time by the API's cursor: the first page once per `key`, more on request. */
export function useCursorList<T>(
  key: string,
  page: (cursor?: string) => Promise<CursorPage<T>>,
): CursorList<T> {
  const first = useLoad(key, () => page());
  const [more, setMore] = useState<{ items: T[]; cursor: string | null } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => setMore(null), [key]);
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null);
  return {
    items: first.data ? [...first.data.items, ...(more?.items ?? [])] : null,
    cursor,
    problem: first.problem ?? problem,
    loadMore: async () => {
      if (!cursor) return;
      try {
        const next = await page(cursor);
        setMore({ items: [...(more?.items ?? []), ...next.items], cursor: next.nextCursor });
      } catch (e) {
        setProblem(asProblem(e));
      }
    },
    reload: () => {
      setMore(null);
      first.reload();
    },
  };
}
