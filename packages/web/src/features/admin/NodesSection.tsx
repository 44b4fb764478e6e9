import type { Node, NodeList } from '@berth/contracts';
import { useState } from 'react';
import { describeError } from '../../api/describe-error.js';
import { ActionError } from '../../components/Field.js';
import { useNodes, useUpdateNode } from './admin.queries.js';
import { AdminTable } from './AdminTable.js';

const COLUMNS = ['Node', 'State', 'Availability', 'Address', 'Has', 'Reserved', 'Engine', 'Runtimes', 'Labels', 'Actions'];

/** What each availability is for, as the buttons say it. */
const MOVES: { to: Node['availability']; label: string }[] = [
  { to: 'active', label: 'Activate' },
  { to: 'pause', label: 'Pause' },
  { to: 'drain', label: 'Drain' },
];

/**
 * The machines environments run on: a swarm's nodes as its manager sees them (polled, so one going
 * down shows), or the one engine Berth drives. A swarm node can be drained, paused or made active.
 */
export function NodesSection() {
  const nodes = useNodes();
  const update = useUpdateNode();
  const [notice, setNotice] = useState('');
  const move = (node: Node, to: Node['availability']) =>
    update.mutate({ id: node.id, body: { availability: to } }, { onSuccess: (changed) => setNotice(`${changed.name} is now ${changed.availability}.`) });

  return (
    <section aria-labelledby="admin-nodes-title">
      <div className="admin-section-head">
        <h2 id="admin-nodes-title">Nodes</h2>
      </div>
      <Lead list={nodes.data} />
      <p role="status" className="admin-ok">
        {notice}
      </p>
      {update.error && <ActionError message={describeError(update.error).message} />}
      {nodes.error ? (
        <ActionError message={describeError(nodes.error).message} />
      ) : !nodes.data ? (
        <p className="muted">Loading nodes…</p>
      ) : (
        <AdminTable caption="Nodes" columns={COLUMNS}>
          {nodes.data.items.map((node) => (
            <tr key={node.id} data-node={node.id}>
              <th scope="row" id={`node-${node.id}-name`}>
                <span className="mono">{node.name}</span> <span className="muted">{node.role}</span>
              </th>
              <td data-label="State">{node.state === 'ready' ? node.state : <span className="badge">{node.state}</span>}</td>
              <td data-label="Availability">{node.availability}</td>
              <td data-label="Address" className="mono">
                {node.address ?? <span className="muted">—</span>}
              </td>
              <td data-label="Has">
                {node.resources.vcpus} vCPU, {(node.resources.memoryMb / 1024).toFixed(1)} GiB
              </td>
              <td data-label="Reserved">
                {node.usage.environments} env{node.usage.environments === 1 ? '' : 's'}, {node.usage.vcpus} vCPU, {(node.usage.memoryMb / 1024).toFixed(1)} GiB
              </td>
              <td data-label="Engine" className="mono admin-break">
                {node.engine ?? <span className="muted" title="Set its berth.engine label to tcp://address:port to run environments there">none: places nothing</span>}
              </td>
              <td data-label="Runtimes">
                {node.runtimeClasses.length === 0 ? (
                  <span className="muted">unknown</span>
                ) : node.runtimeClasses.includes('sandboxed') ? (
                  'standard, sandboxed (gVisor)'
                ) : (
                  <span title="Install gVisor on it (scripts/setup-docker.sh) to run sandboxed environments there">standard only</span>
                )}
              </td>
              <td data-label="Labels" className="mono admin-break">
                {Object.keys(node.labels).length === 0 ? <span className="muted">none</span> : Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(' ')}
              </td>
              <td data-label="Actions">
                {nodes.data.swarm ? (
                  <div className="row admin-actions">
                    {MOVES.filter((m) => m.to !== node.availability).map((m) => (
                      <button type="button" key={m.to} aria-describedby={`node-${node.id}-name`} disabled={update.isPending} onClick={() => move(node, m.to)}>
                        {m.label}
                      </button>
                    ))}
                  </div>
                ) : (
                  <span className="muted">in no swarm</span>
                )}
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
    </section>
  );
}

function Lead({ list }: { list: NodeList | undefined }) {
  if (list && !list.swarm) {
    return <p className="muted admin-lead">Berth drives one Docker engine, in no swarm: every environment runs on it. Make that engine a swarm manager to see and steer several machines here.</p>;
  }
  return <p className="muted admin-lead">The swarm&apos;s machines, as its manager sees them. A paused node is given no new swarm tasks; a drained one also has its tasks moved away.</p>;
}
