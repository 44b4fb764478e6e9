import { PORT_SHARING, type ListeningPort, type PortSharing } from '@berth/contracts';
import { urlPath } from '../../api/client.js';
import { Icon } from './Icon.js';
import { usePorts, useSetSharing } from '../environments/environments.queries.js';

/** A server bound to loopback cannot be reached by a preview. */
const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

const SHARING_LABELS: Record<PortSharing, string> = {
  owner: 'Only me',
  authenticated: 'Signed-in users',
  public: 'Anyone with the link',
};

/**
 * Ports listening inside the environment, each with its preview URL (on an origin
 * of its own) and who may open it. Opening goes through Berth's /preview page,
 * which trades a one-minute grant for that origin's own cookie.
 */
export function PortsList({ envId, mayShare }: { envId: string; mayShare: boolean }) {
  const ports = usePorts(envId);
  const setSharing = useSetSharing(envId);
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
      {setSharing.isError && (
        <p className="ide-note error" role="alert">
          {setSharing.error.message}
        </p>
      )}
      {ports.data?.items.length === 0 && <p className="ide-note muted">Nothing listening yet. Servers on 0.0.0.0 show up here.</p>}
      {ports.data && ports.data.items.length > 0 && (
        <ul className="ide-port-list">
          {ports.data.items.map((p) => (
            <PortRow key={`${p.address}:${p.port}`} envId={envId} port={p} onShare={mayShare ? (sharing) => setSharing.mutate({ port: p.port, sharing }) : null} />
          ))}
        </ul>
      )}
    </section>
  );
}

function PortRow({ envId, port: p, onShare }: { envId: string; port: ListeningPort; onShare: ((sharing: PortSharing) => void) | null }) {
  return (
    <li data-port={p.port}>
      <span className="mono" title={`${p.address}:${p.port}`}>
        :{p.port}
      </span>
      {isLoopback(p.address) ? (
        <span className="muted ide-port-hint" title="Previews reach the environment from outside: listen on 0.0.0.0">
          {p.address} only
        </span>
      ) : (
        <>
          <a href={urlPath`/preview/${envId}/${p.port}`} target="_blank" rel="noopener noreferrer" title={p.url} data-testid="port-open">
            Open preview <Icon name="external" />
          </a>
          {onShare ? (
            <select
              className="ide-port-sharing"
              aria-label={`Who may open port ${p.port}`}
              value={p.sharing}
              onChange={(e) => onShare(e.target.value as PortSharing)}
            >
              {PORT_SHARING.map((s) => (
                <option key={s} value={s}>
                  {SHARING_LABELS[s]}
                </option>
              ))}
            </select>
          ) : (
            <span className="muted ide-port-sharing">{p.sharing === 'owner' ? 'Its owner only' : SHARING_LABELS[p.sharing]}</span>
          )}
          <span className="mono muted ide-port-url" data-testid="port-url">
            {p.url}
          </span>
        </>
      )}
    </li>
  );
}
