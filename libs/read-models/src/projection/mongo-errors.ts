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
