import { TEAM_ROLES, type Member, type Team } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { formErrors } from '../../api/describe-error.js';
import { useMe } from '../../api/session.queries.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { Field } from '../../components/Field.js';
import type { OrgPowers } from './org-powers.js';
import { slugOf } from './slug.js';
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
  const remove = useDeleteTeam(slug);
  const [deleting, setDeleting] = useState<Team | null>(null);
  const close = () => {
    remove.reset();
    setDeleting(null);
  };
  const maintains = (team: Team) => team.members.some((m) => m.user.id === me?.id && m.role === 'maintainer');

  return (
    <section className="card org-section" aria-labelledby="org-teams-title">
      <h2 id="org-teams-title">Teams</h2>
      <p className="muted">An environment can be shared with a team, for its members to view or to use.</p>
      {powers.manage && <CreateTeamForm slug={slug} />}
      {teams.isPending && <p className="muted">Loading teams…</p>}
      {teams.error && (
        <p role="alert" className="error">
          {teams.error.message}
        </p>
      )}
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
            onDelete={() => setDeleting(team)}
          />
        ))}
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the team ${deleting?.name ?? ''}?`}
        confirmLabel="Delete team"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={close}
        onConfirm={() => deleting && remove.mutate(deleting.slug, { onSuccess: close })}
      >
        <p>Its members stay in the organization, but lose what was shared with the team: terminals they have open through it close.</p>
      </ConfirmDialog>
    </section>
  );
}

function CreateTeamForm({ slug }: { slug: string }) {
  const create = useCreateTeam(slug);
  const [name, setName] = useState('');
  const [teamSlug, setTeamSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const { fields, general: generalError } = formErrors(create.error, ['name', 'slug']);
  const shownSlug = slugTouched ? teamSlug : slugOf(name);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name: name.trim(), slug: shownSlug },
      {
        onSuccess: () => {
          setName('');
          setTeamSlug('');
          setSlugTouched(false);
        },
      },
    );
  };

  return (
    <form className="org-form" onSubmit={submit} aria-label="Create a team">
      <Field label="Team name" error={fields.name}>
        {(control) => <input {...control} name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" />}
      </Field>
      <Field label="Team slug" hint="Its name in URLs and the CLI." error={fields.slug}>
        {(control) => (
          <input
            {...control}
            name="slug"
            value={shownSlug}
            onChange={(e) => {
              setSlugTouched(true);
              setTeamSlug(e.target.value);
            }}
            required
            maxLength={39}
            autoComplete="off"
          />
        )}
      </Field>
      <div className="org-form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create team
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
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
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
      <Field label="Team role">
        {(control) => (
          <select {...control} value={role} onChange={(e) => setRole(e.target.value as TeamRole)}>
            {TEAM_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={pending}>
        Add to team
      </button>
    </form>
  );
}
