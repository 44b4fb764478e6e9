import type { Environment } from '@berth/contracts';

/**
 * Instead of files and terminals for someone the environment is shared with
 * to view: the server would refuse them its terminal, files and exec. Status
 * and stats stay in the header, events below.
 */
export function ViewOnly({ env }: { env: Environment }) {
  return (
    <div className="ide-not-running">
      <div className="card" data-testid="env-view-only">
        <h2>View only</h2>
        <p className="muted">
          {env.name} is shared with you to view: its status, events and stats. Its terminal and files are for those it is shared with to use; {env.owner.username} and the
          organization&apos;s admins start, stop and share it.
        </p>
      </div>
    </div>
  );
}
