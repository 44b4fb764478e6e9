import type { Environment, Organization, Share } from '@berth/contracts';
import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { Modal } from '../../components/Modal.js';
import { useSetShare, useShares, useTeams } from './orgs.queries.js';
import './orgs.css';

type Level = Share['level'] | 'none';
const LEVELS: { value: Level; label: string }[] = [
  { value: 'none', label: 'No access' },
  { value: 'view', label: 'View' },
  { value: 'use', label: 'Use' },
];

/**
 * Shares an environment with teams of its organization: view (status, events,
 * stats) or use (also terminal, files and previews). For those who manage it.
 */
export function ShareDialog({ env, org, open, onClose }: { env: Environment; org: Organization; open: boolean; onClose: () => void }) {
  return (
    <Modal open={open} title={`Share ${env.name}`} onClose={onClose}>
      <ShareBody env={env} org={org} onClose={onClose} />
    </Modal>
  );
}

function ShareBody({ env, org, onClose }: { env: Environment; org: Organization; onClose: () => void }) {
  const teams = useTeams(org.slug);
  const shares = useShares(env.id);
  const setShare = useSetShare(env.id);
  const levelOf = (teamId: string): Level => shares.data?.find((s) => s.team.id === teamId)?.level ?? 'none';
  const failed = teams.error ?? shares.error;

  return (
    <>
      <div className="modal-body">
        <p className="muted">Members of a team with View see its status, events and stats; with Use they also get its terminal, files and previews. Viewers of the organization only ever view.</p>
        {(teams.isPending || shares.isPending) && !failed && <p className="muted">Loading teams…</p>}
        {failed && (
          <p role="alert" className="error">
            {failed.message}
          </p>
        )}
        {teams.data?.length === 0 && (
          <p className="muted">
            The organization has no teams yet. <Link to={urlPath`/orgs/${org.slug}`}>Make one in its settings.</Link>
          </p>
        )}
        {teams.data && shares.data && teams.data.length > 0 && (
          <ul className="share-list" aria-label="Teams">
            {teams.data.map((team) => (
              <li key={team.id}>
                <span>
                  {team.name} <span className="muted">({team.members.length} member{team.members.length === 1 ? '' : 's'})</span>
                </span>
                <select
                  aria-label={`Access for ${team.name}`}
                  value={levelOf(team.id)}
                  disabled={setShare.isPending}
                  onChange={(e) => {
                    const level = e.target.value as Level;
                    setShare.mutate({ teamId: team.id, level: level === 'none' ? null : level });
                  }}
                >
                  {LEVELS.map((l) => (
                    <option key={l.value} value={l.value}>
                      {l.label}
                    </option>
                  ))}
                </select>
              </li>
            ))}
          </ul>
        )}
        {setShare.error && (
          <p role="alert" className="error">
            {setShare.error.message}
          </p>
        )}
        <p role="status" className="muted">
          {setShare.isSuccess && !setShare.isPending ? 'Saved.' : ''}
        </p>
      </div>
      <div className="modal-actions">
        <button type="button" className="primary" onClick={onClose} data-autofocus>
          Done
        </button>
      </div>
    </>
  );
}
