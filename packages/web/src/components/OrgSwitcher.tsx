import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { currentOrg, setCurrentOrg } from '../api/org.js';
import { useOrgs } from '../api/orgs.queries.js';

/** Picks the organization the app acts in; everything is fetched again in the new one. */
export function OrgSwitcher() {
  const client = useQueryClient();
  const navigate = useNavigate();
  const orgs = useOrgs();
  const items = orgs.data?.items ?? [];
  if (items.length < 2) return null;
  const personal = items.find((o) => o.personal);
  const chosen = items.find((o) => o.slug === currentOrg()) ?? personal;
  return (
    <select
      className="org-switcher"
      aria-label="Organization"
      value={chosen?.slug ?? ''}
      onChange={(e) => {
        const next = items.find((o) => o.slug === e.target.value);
        setCurrentOrg(next && !next.personal ? next.slug : null);
        navigate('/');
        void client.resetQueries();
      }}
    >
      {items.map((o) => (
        <option key={o.id} value={o.slug}>
          {o.personal ? `${o.name} (personal)` : o.name}
          {o.status !== 'active' ? ` — ${o.status}` : ''}
        </option>
      ))}
    </select>
  );
}
