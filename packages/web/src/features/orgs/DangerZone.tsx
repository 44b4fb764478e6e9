import type { Organization } from '@berth/contracts';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { currentOrg } from '../../api/org.js';
import { useSwitchOrg } from '../../api/orgs.queries.js';
import { useMe } from '../../api/session.queries.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import type { OrgPowers } from './org-powers.js';
import { useOrgLifecycle, useRemoveMember, type OrgLifecycleOp } from './orgs.queries.js';

const CONFIRM: Record<OrgLifecycleOp, { title: string; label: string; body: string }> = {
  suspend: {
    title: 'Suspend',
    label: 'Suspend organization',
    body: 'Its environments and apps stop and nothing new starts; its tokens may only read. Members, teams, workspaces and releases stay, and you can reactivate it.',
  },
  reactivate: { title: 'Reactivate', label: 'Reactivate organization', body: 'Its members may start environments again.' },
  delete: {
    title: 'Delete',
    label: 'Delete organization',
    body: 'Every environment and workspace of it, its members, teams, invitations and tokens go, for good. This cannot be undone.',
  },
};

/** Suspend, reactivate or delete (owners); leave (anyone but its last owner, as the server says). */
export function DangerZone({ org, powers }: { org: Organization; powers: OrgPowers }) {
  const lifecycle = useOrgLifecycle(org.slug);
  const leave = useRemoveMember(org.slug);
  const me = useMe().data;
  const switchTo = useSwitchOrg();
  const navigate = useNavigate();
  const [asking, setAsking] = useState<OrgLifecycleOp | 'leave' | null>(null);
  const suspended = org.status === 'suspended';
  const gone = org.status === 'deleting' || org.status === 'deleted';
  const close = () => {
    lifecycle.reset();
    leave.reset();
    setAsking(null);
  };
  // Whoever leaves, or deletes the organization they act in, carries on in their personal one.
  const leftIt = (op: 'leave' | 'delete') => () => {
    close();
    if (currentOrg() === org.slug) switchTo(null);
    else if (op === 'leave') navigate('/');
  };
  const confirm = asking && asking !== 'leave' ? CONFIRM[asking] : null;

  return (
    <section className="card org-section org-danger" aria-labelledby="org-danger-title">
      <h2 id="org-danger-title">Danger zone</h2>
      <div className="row">
        {powers.own && !gone && (
          <>
            <button type="button" className="danger" onClick={() => setAsking(suspended ? 'reactivate' : 'suspend')}>
              {suspended ? 'Reactivate' : 'Suspend'}
            </button>
            <button type="button" className="danger" onClick={() => setAsking('delete')}>
              Delete organization
            </button>
          </>
        )}
        {!gone && me && (
          <button type="button" className="danger" onClick={() => setAsking('leave')}>
            Leave organization
          </button>
        )}
        {gone && <p className="muted">The organization is being deleted.</p>}
      </div>
      <ConfirmDialog
        open={confirm !== null}
        title={`${confirm?.title ?? ''} ${org.name}?`}
        confirmLabel={confirm?.label ?? ''}
        pending={lifecycle.isPending}
        error={lifecycle.error?.message}
        onCancel={close}
        onConfirm={() => asking && asking !== 'leave' && lifecycle.mutate(asking, { onSuccess: asking === 'delete' ? leftIt('delete') : close })}
      >
        <p>{confirm?.body}</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'leave'}
        title={`Leave ${org.name}?`}
        confirmLabel="Leave organization"
        pending={leave.isPending}
        error={leave.error?.message}
        onCancel={close}
        onConfirm={() => me && leave.mutate(me.username, { onSuccess: leftIt('leave') })}
      >
        <p>You lose access to its environments at once. Coming back takes a new invitation.</p>
      </ConfirmDialog>
    </section>
  );
}
