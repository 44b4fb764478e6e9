import { useEffect, useId, useRef } from 'react';

/** Shown when a save was refused because the file changed on disk (412 revision_conflict). */
export function ConflictPrompt({ name, onReload, onOverwrite }: { name: string; onReload: () => void; onOverwrite: () => void }) {
  const title = useId();
  const body = useId();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div className="ide-conflict" role="alertdialog" aria-labelledby={title} aria-describedby={body}>
      <div>
        <p id={title} className="ide-conflict-title">
          {name} changed on disk
        </p>
        <p id={body} className="ide-conflict-body">
          Reload discards your edits and loads the new version; Overwrite replaces it with yours.
        </p>
      </div>
      <div className="row">
        <button ref={first} type="button" onClick={onReload}>
          Reload
        </button>
        <button type="button" className="danger" onClick={onOverwrite}>
          Overwrite
        </button>
      </div>
    </div>
  );
}
