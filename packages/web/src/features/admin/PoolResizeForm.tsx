import type { WarmPool } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/describe-error.js';
import { useResizeWarmPool } from './admin.queries.js';
import { FormActions } from './FormActions.js';
import { PoolSizeField, readPoolSize } from './PoolSizeField.js';

/** A pool's new size (0 keeps the pool but drains it); saving also replaces its failed environments. */
export function PoolResizeForm({ pool, title, onDone }: { pool: WarmPool; title: string; onDone: (resized: WarmPool | null) => void }) {
  const resize = useResizeWarmPool();
  const [size, setSize] = useState(String(pool.size));
  const [localError, setLocalError] = useState<string | null>(null);
  const server = describeError(resize.error, ['size']);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const read = readPoolSize(size);
    setLocalError(read.error);
    if (read.size === null) return resize.reset();
    resize.mutate({ id: pool.id, size: read.size }, { onSuccess: (resized) => onDone(resized) });
  }

  return (
    <form className="admin-form" aria-label={title} onSubmit={submit} noValidate>
      <h3>{title}</h3>
      <div className="admin-grid">
        <PoolSizeField value={size} onChange={setSize} error={localError ?? server.fields.size} />
      </div>
      <FormActions submit="Save size" pendingLabel="Saving…" pending={resize.isPending} onCancel={() => onDone(null)} error={localError ? null : server.message} />
    </form>
  );
}
