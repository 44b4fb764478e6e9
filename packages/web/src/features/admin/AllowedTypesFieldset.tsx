import { useId } from 'react';
import { CheckboxField } from '../../components/Field.js';

type Props = {
  /** The types that may be allowed now. */
  offered: readonly string[];
  /** Allowed when the form opened: one no longer offered still shows, so it can be unticked. */
  before: readonly string[];
  allowed: string[];
  onChange: (allowed: string[]) => void;
  error?: string;
  /** Said when there is nothing to tick. */
  none: string;
};

/** A quota's allowed machine types as checkboxes (a user's in the admin console, an organization's on its settings page). */
export function AllowedTypesFieldset({ offered, before, allowed, onChange, error, none }: Props) {
  const errorId = useId();
  const names = [...offered, ...before.filter((n) => !offered.includes(n))];
  const toggle = (name: string, on: boolean) => onChange(on ? [...allowed, name] : allowed.filter((n) => n !== name));
  return (
    <fieldset className="admin-fieldset" aria-describedby={error ? errorId : undefined}>
      <legend>Allowed machine types</legend>
      {names.length === 0 && <span className="muted">{none}</span>}
      <div className="row">
        {names.map((name) => (
          <CheckboxField key={name} label={name} checked={allowed.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
        ))}
      </div>
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </fieldset>
  );
}
