import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../api/client.js';
import { DangerZone } from '../features/orgs/DangerZone.js';
import { InvitationsSection } from '../features/orgs/InvitationsSection.js';
import { MembersSection } from '../features/orgs/MembersSection.js';
import { orgPowers } from '../features/orgs/org-powers.js';
import { OrgAssistantSection } from '../features/orgs/OrgAssistantSection.js';
import { OrgAuditSection } from '../features/orgs/OrgAuditSection.js';
import { OrgQuotaSection } from '../features/orgs/OrgQuotaSection.js';
import { useOrg } from '../features/orgs/orgs.queries.js';
import { TeamsSection } from '../features/orgs/TeamsSection.js';
import '../features/account/account.css';
import '../features/environments/environments.css';
import '../features/orgs/orgs.css';

/**
 * One organization's settings at /orgs/:slug: members, invitations, teams, quota,
 * AI assistant usage, audit and its lifecycle. Everyone in it may read; owners and admins manage,
 * owners alone suspend or delete. A personal organization takes no one else.
 */
export default function OrgSettingsPage() {
  const { slug = '' } = useParams();
  const org = useOrg(slug);

  if (org.isPending) return <div className="loading">Loading the organization…</div>;
  if (org.isError) {
    const missing = org.error instanceof ApiError && org.error.status === 404;
    return (
      <section className="page">
        <h1>{missing ? 'Organization not found' : 'Could not load the organization'}</h1>
        <p className="error" role="alert">
          {missing ? 'It does not exist, or you are not a member of it.' : org.error.message}
        </p>
        <Link to="/">Back to environments</Link>
      </section>
    );
  }

  const o = org.data;
  const powers = orgPowers(o);
  return (
    <section className="page org-settings" aria-labelledby="org-title">
      <header className="page-head">
        <div>
          <h1 id="org-title">{o.name}</h1>
          <p className="muted org-facts">
            <span className="mono">{o.slug}</span> · your role: <strong data-testid="org-role">{o.role}</strong> ·{' '}
            <span className={`badge status-badge org-status-${o.status}`} data-testid="org-status" role="status" aria-label={`Status: ${o.status}`}>
              {o.status}
            </span>
          </p>
        </div>
      </header>
      {!powers.manage && <p className="org-readonly muted">You see this organization as a {o.role}: only its owners and admins change it.</p>}
      {o.personal && <p className="muted">Your personal organization has you alone. To work with others, make an organization on your account page.</p>}
      <div className="org-grid">
        <MembersSection slug={o.slug} orgName={o.name} powers={powers} />
        {!o.personal && powers.manage && <InvitationsSection slug={o.slug} orgName={o.name} />}
        {!o.personal && <TeamsSection slug={o.slug} powers={powers} />}
        <OrgQuotaSection slug={o.slug} powers={powers} />
        {powers.manage && <OrgAssistantSection slug={o.slug} orgName={o.name} personal={o.personal} />}
        {powers.manage && <OrgAuditSection slug={o.slug} />}
        {!o.personal && <DangerZone org={o} powers={powers} />}
      </div>
    </section>
  );
}
