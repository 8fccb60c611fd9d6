import { useEffect, useState } from 'react';
import { type ApiProblem, type Mailbox, unwrap } from '../api/client';
import { useApi } from '../api/context';
import type { MailboxListQuery } from '../mailboxes/mailbox-query';
import { asProblem } from '../ui/use-load';

/**
 * Every active mailbox the query matches, page after page (the API's largest page is 500; it serves the list from
 * memory, so 10,000 mailboxes are 20 quick requests), once `when` holds.
 */
export function useAllMailboxes(
  query: Omit<MailboxListQuery, 'limit' | 'cursor'>,
  when: boolean,
): { mailboxes: Map<string, Mailbox> | null; problem: ApiProblem | null } {
  const api = useApi();
  const [mailboxes, setMailboxes] = useState<Map<string, Mailbox> | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const key = JSON.stringify(query);
  useEffect(() => {
    if (!when) return;
    let current = true;
    void (async () => {
      const all = new Map<string, Mailbox>();
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/v1/mailboxes', {
            params: { query: { ...query, limit: 500, ...(cursor ? { cursor } : {}) } },
          }),
        );
        for (const m of page.items) all.set(m.id, m);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && current);
      if (current) setMailboxes(all);
    })().catch((e: unknown) => current && setProblem(asProblem(e)));
    return () => {
      current = false;
    };
    // `query` is a new object each render; `key` says when it asks for something else.
  }, [api, key, when]);
  return { mailboxes, problem };
}
