import { Link } from 'react-router-dom';
import { urlPath } from '../api/client.js';
import { useActingOrg, useOrgs, useSwitchOrg } from '../api/orgs.queries.js';

/**
 * Picks the organization the app acts in; everything is fetched again in the
 * new one. Beside it, the way to the chosen organization's settings.
 */
export function OrgSwitcher() {
  const orgs = useOrgs();
  const switchTo = useSwitchOrg();
  const chosen = useActingOrg();
  const items = orgs.data?.items ?? [];
  if (items.length < 2) return null;
  return (
    <span className="org-switch">
      <select
        className="org-switcher"
        aria-label="Organization"
        value={chosen?.slug ?? ''}
        onChange={(e) => switchTo(items.find((o) => o.slug === e.target.value) ?? null)}
      >
        {items.map((o) => (
          <option key={o.id} value={o.slug}>
            {o.personal ? `${o.name} (personal)` : o.name}
            {o.status !== 'active' ? ` — ${o.status}` : ''}
          </option>
        ))}
      </select>
      {chosen && !chosen.personal && (
        <Link to={urlPath`/orgs/${chosen.slug}`} className="org-settings-link" title="Organization settings">
          Organization settings
        </Link>
      )}
    </span>
  );
}
