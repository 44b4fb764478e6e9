import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { queryKeys } from '../../api/query-keys.js';
import { AssistantPanel } from './AssistantPanel.js';
import { EditorPane } from './EditorPane.js';
import { FileTree } from './FileTree.js';
import type { FilesApi } from './files-api.js';
import { PortsList } from './PortsList.js';
import { Splitter } from './Splitter.js';
import { TerminalPane } from './TerminalPane.js';
import type { useEditorTabs } from './use-editor-tabs.js';
import type { Listener } from '../environments/environment-events.js';
import type { IdeLayout } from './use-layout.js';

interface Props {
  envId: string;
  /** Who may open a port's preview is for those who manage the environment to say. */
  maySharePorts: boolean;
  files: FilesApi;
  editor: ReturnType<typeof useEditorTabs>;
  dark: boolean;
  subscribe: (listener: Listener) => () => void;
  layout: IdeLayout;
  setLayout: (change: Partial<IdeLayout>) => void;
}

/** The running environment: files and ports on the left, editor above terminals in the middle, the assistant (when open) on the right. */
export function IdeWorkspace({ envId, maySharePorts, files, editor, dark, subscribe, layout, setLayout }: Props) {
  const client = useQueryClient();
  const onFileEvent = useRef(editor.onFileEvent);
  useEffect(() => {
    onFileEvent.current = editor.onFileEvent;
  });

  useEffect(
    () =>
      subscribe((event) => {
        if (!event.type.startsWith('file.')) return;
        void client.invalidateQueries({ queryKey: queryKeys.files(envId) });
        onFileEvent.current(event);
      }),
    [subscribe, client, envId],
  );

  // Commands typed in a terminal may change files without any event: look again shortly after.
  const refreshTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);
  const onCommand = () => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => void client.invalidateQueries({ queryKey: queryKeys.files(envId) }), 700);
  };

  return (
    <div className="ide-body" style={{ gridTemplateColumns: `${layout.sidebar}px auto minmax(0, 1fr)${layout.assistant ? ' var(--assistant-w)' : ''}` }}>
      <aside className="ide-sidebar" aria-label="Workspace">
        <FileTree envId={envId} files={files} activePath={editor.active?.path ?? null} onOpen={editor.open} />
        <PortsList envId={envId} mayShare={maySharePorts} />
      </aside>
      <Splitter label="Resize file panel" orientation="vertical" value={layout.sidebar} min={180} max={520} direction={1} onChange={(sidebar) => setLayout({ sidebar })} />
      <div className="ide-center" style={{ gridTemplateRows: `minmax(0, 1fr) auto min(${layout.terminal}px, calc(100% - 180px))` }}>
        <EditorPane editor={editor} files={files} />
        <Splitter label="Resize terminal panel" orientation="horizontal" value={layout.terminal} min={120} max={900} direction={-1} onChange={(terminal) => setLayout({ terminal })} />
        <TerminalPane envId={envId} dark={dark} onCommand={onCommand} />
      </div>
      {layout.assistant && <AssistantPanel envId={envId} />}
    </div>
  );
}
