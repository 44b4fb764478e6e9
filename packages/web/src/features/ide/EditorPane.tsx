import { useEffect, useRef } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ConflictPrompt } from './ConflictPrompt.js';
import { baseName, type FilesApi } from './files-api.js';
import { Icon } from './Icon.js';
import type { useEditorTabs } from './use-editor-tabs.js';

type Editor = ReturnType<typeof useEditorTabs>;

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** Tabs of open files over one CodeMirror view; Ctrl/Cmd-S saves the active one. */
export function EditorPane({ editor, files }: { editor: Editor; files: FilesApi }) {
  const { tabs, active } = editor;
  const saveRef = useRef(editor.save);
  useEffect(() => {
    saveRef.current = editor.save;
  });

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== 's') return;
      // Ctrl-S in a terminal belongs to the shell.
      if ((event.target as HTMLElement | null)?.closest?.('.ide-terminals')) return;
      event.preventDefault();
      if (active) void saveRef.current(active.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active]);

  return (
    <section className="ide-editor" aria-label="Editor">
      <div className="ide-tabs" role="tablist" aria-label="Open files" hidden={tabs.length === 0}>
        {tabs.map((tab) => {
          const name = baseName(tab.path);
          const selected = tab.id === active?.id;
          return (
            <div key={tab.id} className="ide-tab" data-active={selected ? '' : undefined}>
              <button
                type="button"
                role="tab"
                id={`ide-file-tab-${tab.id}`}
                aria-selected={selected}
                aria-controls="ide-editor-panel"
                tabIndex={selected ? 0 : -1}
                title={tab.path}
                className={tab.deleted ? 'ide-tab-deleted' : undefined}
                onClick={() => editor.select(tab.id)}
                onAuxClick={(event) => event.button === 1 && editor.close(tab.id)}
              >
                {name}
                {tab.dirty && (
                  <span className="ide-dirty" title="Unsaved changes">
                    <span aria-hidden="true"> ●</span>
                    <span className="ide-sr"> (unsaved)</span>
                  </span>
                )}
              </button>
              <button type="button" className="ide-tab-close" aria-label={`Close ${name}`} title="Close" onClick={() => editor.close(tab.id)}>
                <Icon name="close" />
              </button>
            </div>
          );
        })}
      </div>
      <div id="ide-editor-panel" className="ide-editor-body" role={active ? 'tabpanel' : undefined} aria-labelledby={active ? `ide-file-tab-${active.id}` : undefined}>
        {active?.conflict && <ConflictPrompt name={baseName(active.path)} onReload={() => void editor.reload(active.id)} onOverwrite={() => void editor.overwrite(active.id)} />}
        {!active && (
          <div className="ide-empty">
            <p>Open a file from the tree to edit it.</p>
            <p className="muted">
              {isMac ? '⌘' : 'Ctrl'}+S saves. Drop files on the tree to upload them.
            </p>
          </div>
        )}
        {active?.status === 'loading' && <p className="ide-empty muted">Opening {active.path}…</p>}
        {active?.status === 'error' && (
          <p className="ide-empty error" role="alert">
            Could not open {active.path}: {active.error}
          </p>
        )}
        {active?.status === 'binary' && (
          <div className="ide-empty">
            <p>{active.path} is a binary file and is not shown.</p>
            <a className="button" href={files.contentUrl(active.path)} download={baseName(active.path)}>
              Download it
            </a>
          </div>
        )}
        <div ref={editor.host} className="ide-cm-host" hidden={active?.status !== 'ready'} />
      </div>
      <div className="ide-editor-status">
        {active ? (
          <>
            <span className="mono ide-status-path" title={`/workspace/${active.path}`}>
              {active.path}
            </span>
            <span className={active.saveError ? 'error' : 'muted'} role="status">
              {active.saveError ?? (active.saving ? 'Saving…' : active.deleted ? 'Deleted on disk — saving writes it again' : active.dirty ? 'Unsaved changes' : active.status === 'ready' ? 'Saved' : '')}
            </span>
            <button type="button" className="ide-save" disabled={active.status !== 'ready' || active.saving} onClick={() => void editor.save(active.id)}>
              Save <kbd>{isMac ? '⌘S' : 'Ctrl+S'}</kbd>
            </button>
          </>
        ) : (
          <span className="muted">No file open</span>
        )}
      </div>
      <ConfirmDialog
        open={editor.closing !== null}
        title={`Discard changes to ${editor.closing ? baseName(editor.closing.path) : ''}?`}
        confirmLabel="Discard changes"
        onCancel={editor.cancelClose}
        onConfirm={editor.confirmClose}
      >
        <p>
          The unsaved edits to <strong className="mono">{editor.closing?.path}</strong> are lost.
        </p>
      </ConfirmDialog>
    </section>
  );
}
