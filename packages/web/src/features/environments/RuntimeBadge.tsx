import type { RuntimeClass } from '@berth/contracts';

/** "Sandboxed" for an environment that runs under gVisor; nothing for a standard one. */
export function RuntimeBadge({ runtimeClass }: { runtimeClass: RuntimeClass }) {
  if (runtimeClass !== 'sandboxed') return null;
  return (
    <span className="badge origin-badge" title="Runs under gVisor, a kernel of its own between its programs and the machine's" data-testid="env-runtime">
      Sandboxed
    </span>
  );
}
