import type { EnvironmentAccess } from '@berth/contracts';

const SAYS: Record<EnvironmentAccess, { text: string; title: string } | null> = {
  view: { text: 'View only', title: 'Shared with you to view: status, events and stats. No terminal, files or lifecycle.' },
  use: { text: 'Shared', title: 'Shared with you to use: terminal, files and previews. Its owner starts, stops and shares it.' },
  manage: null,
};

/** How far the signed-in user may go with an environment shared with them; nothing for one they manage. */
export function AccessBadge({ access }: { access: EnvironmentAccess }) {
  const says = SAYS[access];
  if (!says) return null;
  return (
    <span className={`badge access-badge access-${access}`} title={says.title} data-testid="env-access">
      {says.text}
    </span>
  );
}
