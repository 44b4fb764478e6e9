import { useState, type FormEvent } from 'react';
import { formErrors } from '../../api/describe-error.js';
import { ActionError, Field, SubmitButton } from '../../components/Field.js';
import { slugOf } from './slug.js';

type Props = {
  /** Names the form. */
  label: string;
  /** What is made ("Organization", "Team"): the fields are its name and its slug. */
  noun: string;
  slugHint: string;
  submitLabel: string;
  pending: boolean;
  error: Error | null;
  /** Sends the trimmed name and the slug; `clear` empties the form for the next one. */
  onSubmit: (body: { name: string; slug: string }, clear: () => void) => void;
};

/** Makes something known by a name and a slug (an organization, a team): the slug follows the name until the user types their own. */
export function NameSlugForm({ label, noun, slugHint, submitLabel, pending, error, onSubmit }: Props) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState<string | null>(null);
  const { fields, general } = formErrors(error, ['name', 'slug']);
  const shownSlug = slug ?? slugOf(name);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit({ name: name.trim(), slug: shownSlug }, () => {
      setName('');
      setSlug(null);
    });
  };

  return (
    <form className="org-form" onSubmit={submit} aria-label={label}>
      <Field label={`${noun} name`} error={fields.name}>
        {(control) => <input {...control} name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" />}
      </Field>
      <Field label={`${noun} slug`} hint={slugHint} error={fields.slug}>
        {(control) => <input {...control} name="slug" value={shownSlug} onChange={(e) => setSlug(e.target.value)} required maxLength={39} autoComplete="off" />}
      </Field>
      <div className="org-form-actions">
        <SubmitButton label={submitLabel} pending={pending} />
      </div>
      <ActionError message={general} className="org-form-wide" />
    </form>
  );
}
