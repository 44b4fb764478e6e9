import { TEAM_ROLES, type Member, type Team } from '@berth/contracts';
import { useState } from 'react';
import { useMe } from '../../api/session.queries.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError, ChoiceField, Field } from '../../components/Field.js';
import { useConfirmedAction } from '../../components/use-confirmed-action.js';
import type { OrgPowers } from './org-powers.js';
import { NameSlugForm } from './NameSlugForm.js';
import { useCreateTeam, useDeleteTeam, useMembers, useRemoveTeamMember, useSetTeamMember, useTeams } from './orgs.queries.js';

type TeamRole = (typeof TEAM_ROLES)[number];

/**
 * Teams and their members. Owners and admins make and delete teams; they and a
 * team's maintainers add and remove its members. Environments are shared with teams.
 */
export function TeamsSection({ slug, powers }: { slug: string; powers: OrgPowers }) {
  const teams = useTeams(slug);
  const members = useMembers(slug);
  const me = useMe().data;
  const remove = useConfirmedAction(useDeleteTeam(slug), (team: Team) => team.slug);
  const maintains = (team: Team) => team.members.some((m) => m.user.id === me?.id && m.role === 'maintainer');

  return (
    <section className="card org-section" aria-labelledby="org-teams-title">
      <h2 id="org-teams-title">Teams</h2>
      <p className="muted">An environment can be shared with a team, for its members to view or to use.</p>
      {powers.manage && <CreateTeamForm slug={slug} />}
      {teams.isPending && <p className="muted">Loading teams…</p>}
      <ActionError message={teams.error?.message} />
      {teams.data?.length === 0 && <p className="muted">No teams yet.</p>}
      <div className="org-teams">
        {teams.data?.map((team) => (
          <TeamCard
            key={team.id}
            slug={slug}
            team={team}
            orgMembers={members.data ?? []}
            mayChange={powers.manage || maintains(team)}
            mayDelete={powers.manage}
            onDelete={() => remove.ask(team)}
          />
        ))}
      </div>
      <ConfirmDialog {...remove.dialog} title={`Delete the team ${remove.subject?.name ?? ''}?`} confirmLabel="Delete team">
        <p>Its members stay in the organization, but lose what was shared with the team: terminals they have open through it close.</p>
      </ConfirmDialog>
    </section>
  );
}

function CreateTeamForm({ slug }: { slug: string }) {
  const create = useCreateTeam(slug);
  return (
    <NameSlugForm
      label="Create a team"
      noun="Team"
      slugHint="Its name in URLs and the CLI."
      submitLabel="Create team"
      pending={create.isPending}
      error={create.error}
      onSubmit={(body, clear) => create.mutate(body, { onSuccess: clear })}
    />
  );
}

interface TeamCardProps {
  slug: string;
  team: Team;
  orgMembers: Member[];
  mayChange: boolean;
  mayDelete: boolean;
  onDelete: () => void;
}

function TeamCard({ slug, team, orgMembers, mayChange, mayDelete, onDelete }: TeamCardProps) {
  const setMember = useSetTeamMember(slug);
  const removeMember = useRemoveTeamMember(slug);
  const titleId = `team-${team.id}-title`;
  const error = setMember.error ?? removeMember.error;

  return (
    <section className="org-team" aria-labelledby={titleId}>
      <header className="org-team-head">
        <h3 id={titleId}>
          {team.name} <span className="muted mono">{team.slug}</span>
        </h3>
        {mayDelete && (
          <button type="button" className="danger" aria-label={`Delete the team ${team.name}`} onClick={onDelete}>
            Delete team
          </button>
        )}
      </header>
      {team.members.length === 0 ? (
        <p className="muted">No members yet.</p>
      ) : (
        <ul className="org-team-members" aria-label={`Members of ${team.name}`}>
          {team.members.map((m) => (
            <li key={m.user.id} data-member={m.user.username}>
              <span>{m.user.username}</span>
              <span className="badge">{m.role}</span>
              {mayChange && (
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Remove ${m.user.username} from ${team.name}`}
                  disabled={removeMember.isPending}
                  onClick={() => removeMember.mutate({ team: team.slug, username: m.user.username })}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {mayChange && (
        <AddTeamMember
          candidates={orgMembers.filter((m) => !team.members.some((t) => t.user.id === m.user.id))}
          pending={setMember.isPending}
          onAdd={(username, role) => setMember.mutate({ team: team.slug, username, role })}
        />
      )}
      <ActionError message={error?.message} />
    </section>
  );
}

function AddTeamMember({ candidates, pending, onAdd }: { candidates: Member[]; pending: boolean; onAdd: (username: string, role: TeamRole) => void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<TeamRole>('member');
  if (candidates.length === 0) return <p className="muted">Every member of the organization is in this team.</p>;
  const chosen = candidates.some((c) => c.user.username === username) ? username : (candidates[0]?.user.username ?? '');

  return (
    <form
      className="row org-team-add"
      aria-label="Add a member to the team"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen) onAdd(chosen, role);
      }}
    >
      <Field label="Member">
        {(control) => (
          <select {...control} value={chosen} onChange={(e) => setUsername(e.target.value)}>
            {candidates.map((c) => (
              <option key={c.user.id} value={c.user.username}>
                {c.user.username}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ChoiceField label="Team role" choices={TEAM_ROLES} value={role} onChange={setRole} />
      <button type="submit" disabled={pending}>
        Add to team
      </button>
    </form>
  );
}
