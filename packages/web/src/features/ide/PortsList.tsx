import { Icon } from './Icon.js';
import { usePorts } from './use-environment.js';

/** A server bound to loopback cannot be reached by a preview. */
const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

/** Ports listening inside the environment, each with a preview link through Berth. */
export function PortsList({ envId }: { envId: string }) {
  const ports = usePorts(envId);
  return (
    <section className="ide-ports" aria-labelledby="ide-ports-title">
      <div className="ide-pane-head">
        <h2 id="ide-ports-title">Ports</h2>
      </div>
      {ports.isPending && <p className="ide-note muted">Looking…</p>}
      {ports.isError && (
        <p className="ide-note error" role="alert">
          {ports.error.message}
        </p>
      )}
      {ports.data?.items.length === 0 && <p className="ide-note muted">Nothing listening yet. Servers on 0.0.0.0 show up here.</p>}
      {ports.data && ports.data.items.length > 0 && (
        <ul className="ide-port-list">
          {ports.data.items.map((p) => (
            <li key={`${p.address}:${p.port}`}>
              <span className="mono" title={`${p.address}:${p.port}`}>
                :{p.port}
              </span>
              {isLoopback(p.address) ? (
                <span className="muted ide-port-hint" title="Previews reach the environment from outside: listen on 0.0.0.0">
                  {p.address} only
                </span>
              ) : (
                <a href={`/api/v1/environments/${envId}/ports/${p.port}/`} target="_blank" rel="noopener noreferrer">
                  Open preview <Icon name="external" />
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
