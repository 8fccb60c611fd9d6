import { ReactNode } from 'react';

/** What a control needs to be bound to its label, its hint and its error. */
export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/**
 * A labelled control with, below it, the API's complaint about that field. The label is bound to the control
 * (`for`), and the hint and the error are its description, so assistive technology reads them with it.
 */
export function Field(props: {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: (control: ControlProps) => ReactNode;
}) {
  const { id, label, error, hint, children } = props;
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': described || undefined })}
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A checkbox reads best with its label after it. */
export function CheckboxField(props: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  error?: string | undefined;
}) {
  const { id, label, checked, onChange, error } = props;
  return (
    <div className={error ? 'field field-check field-invalid' : 'field field-check'}>
      <input
        type="checkbox"
        id={id}
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The seed's Yes/No settings, as a select whose label is the setting's name. */
export function YesNoField(props: {
  id: string;
  label: string;
  value: boolean;
  onChange: (value: boolean) => void;
  error?: string | undefined;
  hint?: string | undefined;
}) {
  const { value, onChange, ...field } = props;
  return (
    <Field {...field}>
      {(control) => (
        <select
          {...control}
          value={value ? 'yes' : 'no'}
          onChange={(e) => onChange(e.target.value === 'yes')}
        >
          <option value="yes">Yes</option>
          <option value="no">No</option>
        </select>
      )}
    </Field>
  );
}

/** A select over a closed set of values, each with the words the seed uses for it. */
export function ChoiceField<V extends string>(props: {
  id: string;
  label: string;
  value: V;
  options: Record<V, string>;
  onChange: (value: V) => void;
  error?: string | undefined;
  hint?: string | undefined;
}) {
  const { value, options, onChange, ...field } = props;
  return (
    <Field {...field}>
      {(control) => (
        <select {...control} value={value} onChange={(e) => onChange(e.target.value as V)}>
          {(Object.entries(options) as [V, string][]).map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
