import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { formErrors } from '../../api/describe-error.js';
import { useOrgs, useSwitchOrg } from '../../api/orgs.queries.js';
import { Field } from '../../components/Field.js';
import { useCreateOrg } from './orgs.queries.js';
import { slugOf } from './slug.js';
import './orgs.css';

/** The user's organizations with their role in each, and a form to make one (its maker owns it). */
export function OrganizationsSection() {
  const orgs = useOrgs();
  return (
    <section className="card account-section" aria-labelledby="orgs-title">
      <h2 id="orgs-title">Organizations</h2>
      {orgs.error && (
        <p role="alert" className="error">
          {orgs.error.message}
        </p>
      )}
      {orgs.data && (
        <ul className="invitation-list" aria-label="Your organizations">
          {orgs.data.items.map((o) => (
            <li key={o.id}>
              <span>
                <Link to={urlPath`/orgs/${o.slug}`}>{o.personal ? `${o.name} (personal)` : o.name}</Link> <span className="muted">· {o.role}</span>
                {o.status !== 'active' && <span className="muted"> · {o.status}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
      <CreateOrgForm />
    </section>
  );
}

function CreateOrgForm() {
  const create = useCreateOrg();
  const switchTo = useSwitchOrg();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState<string | null>(null);
  const { fields, general: generalError } = formErrors(create.error, ['name', 'slug']);
  const shownSlug = slug ?? slugOf(name);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Straight to its settings, to invite people while it provisions; the app acts in it from now on.
    create.mutate({ name: name.trim(), slug: shownSlug }, { onSuccess: (org) => switchTo(org, { to: urlPath`/orgs/${org.slug}` }) });
  };

  return (
    <form className="org-form" onSubmit={submit} aria-label="Create an organization">
      <Field label="Organization name" error={fields.name}>
        {(control) => <input {...control} name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" />}
      </Field>
      <Field label="Organization slug" hint="Shares one namespace with usernames." error={fields.slug}>
        {(control) => <input {...control} name="slug" value={shownSlug} onChange={(e) => setSlug(e.target.value)} required maxLength={39} autoComplete="off" />}
      </Field>
      <div className="org-form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create organization
        </button>
      </div>
      {generalError && (
        <p role="alert" className="error org-form-wide">
          {generalError}
        </p>
      )}
    </form>
  );
}
