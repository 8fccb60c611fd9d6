/** E11000: the write lost to an equal or newer one — the event was applied already. */
export function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: number; writeErrors?: { code?: number }[]; message?: string };
  return (
    e.code === 11000 ||
    (e.writeErrors?.every((w) => w.code === 11000) ?? false) ||
    /E11000/.test(e.message ?? '')
  );
}

/**
 * One unordered insertMany; returns the indexes of the documents that existed already (FerretDB, like MongoDB,
 * goes on past a duplicate and names each). Any other error is thrown.
 */
export async function insertMissing(
  collection: { insertMany(docs: never[], options: { ordered: false }): Promise<unknown> },
  docs: object[],
): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await collection.insertMany(docs as never[], { ordered: false });
    return new Set();
  } catch (error) {
    const writeErrors = (error as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
    if (!writeErrors || writeErrors.some((w) => w.code !== 11000)) throw error;
    return new Set(writeErrors.map((w) => w.index));
  }
}
