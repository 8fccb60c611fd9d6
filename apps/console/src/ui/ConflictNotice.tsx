import type { Rebased } from './form-conflict';

/**
 * What someone else saved while the form was open (secrets only as "changed"), and the fields both changed, whose
 * value on the form is theirs.
 */
export function ConflictNotice<F>(props: {
  id: string;
  /** Who saved what first, e.g. "Someone else saved this profile while you edited it." */
  title: string;
  labels: Record<keyof F, string>;
  conflict: Rebased<F>;
}) {
  const { id, title, labels, conflict } = props;
  const { changes, conflicts } = conflict;
  return (
    <div className="notice notice-warning" role="alert" aria-labelledby={id}>
      <p id={id}>{title} The form now holds their version with your changes; check it and save again.</p>
      {changes.length > 0 && (
        <ul aria-label="Their changes">
          {changes.map((c) => (
            <li key={String(c.field)}>
              {c.secret ? `${c.label} changed` : `${c.label}: ${c.from} → ${c.to}`}
            </li>
          ))}
        </ul>
      )}
      {conflicts.length > 0 && (
        <p>
          You both changed {conflicts.map((k) => labels[k]).join(', ')}: their value is shown, marked below.
        </p>
      )}
    </div>
  );
}
