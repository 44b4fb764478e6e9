import { useId, useState } from 'react';

export type TreeFormKind = 'file' | 'folder' | 'rename';

const LABELS: Record<TreeFormKind, { field: string; submit: string }> = {
  file: { field: 'File name', submit: 'Create' },
  folder: { field: 'Folder name', submit: 'Create' },
  rename: { field: 'New name', submit: 'Apply' },
};

/** The one-field form for a new file or folder name, or a new name. Escape cancels. */
export function TreeForm({ kind, where, initial, onSubmit, onCancel }: { kind: TreeFormKind; where: string; initial: string; onSubmit: (name: string) => void; onCancel: () => void }) {
  const [name, setName] = useState(initial);
  const hint = useId();
  const { field, submit } = LABELS[kind];
  const trimmed = name.trim();
  return (
    <form
      className="ide-tree-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (trimmed) onSubmit(trimmed);
      }}
      onKeyDown={(event) => event.key === 'Escape' && onCancel()}
    >
      <label>
        {field}
        <input
          value={name}
          onChange={(event) => setName(event.target.value)}
          autoFocus
          spellCheck={false}
          aria-describedby={hint}
          onFocus={(event) => kind === 'rename' && event.target.setSelectionRange(0, initial.lastIndexOf('.') > 0 ? initial.lastIndexOf('.') : initial.length)}
        />
      </label>
      <span id={hint} className="ide-tree-hint">
        {kind === 'rename' ? `Renaming /${where}` : `In /${where || 'workspace'}`}
      </span>
      <div className="row">
        <button type="submit" className="primary" disabled={!trimmed}>
          {submit}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
