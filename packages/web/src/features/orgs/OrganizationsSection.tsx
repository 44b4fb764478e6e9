import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { useOrgs, useSwitchOrg } from '../../api/orgs.queries.js';
import { ActionError } from '../../components/Field.js';
import { useCreateOrg } from './orgs.queries.js';
import { NameSlugForm } from './NameSlugForm.js';
import './orgs.css';

/** The user's organizations with their role in each, and a form to make one (its maker owns it). */
export function OrganizationsSection() {
  const orgs = useOrgs();
  return (
    <section className="card account-section" aria-labelledby="orgs-title">
      <h2 id="orgs-title">Organizations</h2>
      <ActionError message={orgs.error?.message} />
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
  return (
    <NameSlugForm
      label="Create an organization"
      noun="Organization"
      slugHint="Shares one namespace with usernames."
      submitLabel="Create organization"
      pending={create.isPending}
      error={create.error}
      // Straight to its settings, to invite people while it provisions; the app acts in it from now on.
      onSubmit={(body) => create.mutate(body, { onSuccess: (org) => switchTo(org, { to: urlPath`/orgs/${org.slug}` }) })}
    />
  );
}
