/**
 * Runs `work` on every item, at most `limit` at a time, in order of start. For requests the API has no bulk form
 * of (deactivating mailboxes): a few at once keeps a large selection quick without a burst of thousands.
 */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
