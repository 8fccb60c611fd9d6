/**
 * A save refused because someone else saved first (409 against If-Match): what they changed, and the user's form
 * rebased on their version. One record type's fields are described once, by a {@link ConflictFields}.
 */

/** One field someone else changed. A secret says only that it changed: its values are never shown (nor known). */
export type FieldChange<K> =
  | { field: K; label: string; secret: false; from: string; to: string }
  | { field: K; label: string; secret: true };

export interface Rebased<F> {
  /** The form on the new version: their changes, plus the user's edits to fields they did not touch. */
  form: F;
  changes: FieldChange<keyof F>[];
  /** Fields both changed differently: the form holds their value, the user decides. */
  conflicts: (keyof F)[];
}

/** How a record becomes its form, and how each field of the form reads on screen. */
export interface ConflictFields<F, R> {
  /** Every field, by its label on screen, in the order the notice lists them. */
  labels: Record<keyof F, string>;
  formOf(record: R): F;
  shown<K extends keyof F>(key: K, value: F[K]): string;
  /** Secrets, which the form never holds as stored: whether one changed between two versions of the record. */
  secrets?: Partial<Record<keyof F, (before: R, after: R) => boolean>>;
}

/** Yes/No for a flag, "(empty)" for no text: the plain cases of `shown`. */
export function plainText(value: string | number | boolean | null | undefined): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return value === '' || value === null || value === undefined ? '(empty)' : String(value);
}

const keysOf = <F, R>(fields: ConflictFields<F, R>) => Object.keys(fields.labels) as (keyof F)[];

/** What changed between two versions of a record, field by field. */
export function fieldChanges<F, R>(
  fields: ConflictFields<F, R>,
  before: R,
  after: R,
): FieldChange<keyof F>[] {
  const a = fields.formOf(before);
  const b = fields.formOf(after);
  return keysOf(fields).flatMap((field): FieldChange<keyof F>[] => {
    const label = fields.labels[field];
    const secretChanged = fields.secrets?.[field];
    if (secretChanged) return secretChanged(before, after) ? [{ field, label, secret: true }] : [];
    return a[field] === b[field]
      ? []
      : [
          {
            field,
            label,
            secret: false,
            from: fields.shown(field, a[field]),
            to: fields.shown(field, b[field]),
          },
        ];
  });
}

/**
 * Rebases the user's form from the version they opened (`base`) on the version someone else saved since
 * (`theirs`), as a three-way merge per field: untouched by the user → theirs; untouched by them → the user's;
 * both, to the same value → that; both, differently → theirs, marked as a conflict.
 */
export function rebaseForm<F, R>(fields: ConflictFields<F, R>, mine: F, base: R, theirs: R): Rebased<F> {
  const opened = fields.formOf(base);
  const now = fields.formOf(theirs);
  const changes = fieldChanges(fields, base, theirs);
  const theyChanged = new Set(changes.map((c) => c.field));
  const conflicts: (keyof F)[] = [];
  const form = { ...now };
  for (const key of keysOf(fields)) {
    const userChanged = mine[key] !== opened[key];
    if (!userChanged) continue;
    if (!theyChanged.has(key) || mine[key] === now[key]) {
      // A typed secret rides along unless they changed the stored one too.
      form[key] = mine[key];
      continue;
    }
    conflicts.push(key);
  }
  return { form, changes, conflicts };
}
