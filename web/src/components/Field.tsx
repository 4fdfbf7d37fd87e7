import { cloneElement, useId, type ReactElement, type ReactNode } from 'react';

interface FieldProps {
  label: string;
  /** The control; it receives `id`, `aria-describedby` and `aria-invalid`. */
  children: ReactElement<Record<string, unknown>>;
  hint?: ReactNode;
  error?: string;
  className?: string;
}

/** Renders a labelled form control with an optional hint and an error message tied to it. */
export function Field({ label, children, hint, error, className }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={['field', error ? 'field--invalid' : null, className].filter(Boolean).join(' ')}>
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      {cloneElement(children, { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface SwitchProps {
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
  disabled?: boolean;
  hint?: ReactNode;
}

/** Renders an on/off control: a checkbox with role="switch", styled as a toggle. */
export function Switch({ label, checked, onChange, disabled, hint }: SwitchProps) {
  const id = useId();
  return (
    <div className="switch">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch__input"
        checked={checked}
        disabled={disabled}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(event) => onChange(event.target.checked)}
      />
      <label htmlFor={id} className="switch__label">
        {label}
      </label>
      {hint && (
        <p id={`${id}-hint`} className="field__hint switch__hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** Renders a compact toolbar control with a small label above it, tied to it by id. */
export function ToolbarField({ label, children }: { label: string; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  return (
    <div className="toolbar__select">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id })}
    </div>
  );
}
