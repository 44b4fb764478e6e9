import type { EnvironmentEvent } from '@berth/contracts';
import type { EditorState, Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client.js';
import { createDocState, themeFor, themeSlot } from './editor-setup.js';
import { type FilesApi, messageOf } from './files-api.js';

export interface EditorTab {
  id: number;
  path: string;
  status: 'loading' | 'ready' | 'binary' | 'error';
  error?: string;
  etag: string | null;
  dirty: boolean;
  saving: boolean;
  saveError?: string;
  /** The last save was refused: the file changed on disk since it was read. */
  conflict: boolean;
  /** Deleted on disk while open; saving writes it again. */
  deleted: boolean;
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * Open files and the one CodeMirror view that shows the active one. Each tab
 * keeps its own EditorState (content, selection, undo history) while hidden;
 * comparing with the last saved text tells whether it has unsaved edits.
 */
export function useEditorTabs(files: FilesApi, dark: boolean) {
  const [tabs, setTabs] = useState<EditorTab[]>([]);
  const [activeId, setActiveId] = useState<number | null>(null);
  /** The tab with unsaved edits whose closing waits for the user to confirm. */
  const [closingId, setClosingId] = useState<number | null>(null);
  const tabsRef = useRef(tabs);
  const view = useRef<EditorView | null>(null);
  /** The tab whose state the view holds (the others' live in `docs`), and the one it should hold. */
  const shown = useRef<number | null>(null);
  const wanted = useRef<number | null>(null);
  const docs = useRef(new Map<number, EditorState>());
  const saved = useRef(new Map<number, Text>());
  const nextId = useRef(1);
  const darkRef = useRef(dark);
  useEffect(() => {
    tabsRef.current = tabs;
    darkRef.current = dark;
  });

  const patch = useCallback((id: number, change: Partial<EditorTab>) => {
    tabsRef.current = tabsRef.current.map((t) => (t.id === id ? { ...t, ...change } : t));
    setTabs(tabsRef.current);
  }, []);
  const stateOf = (id: number) => (shown.current === id && view.current ? view.current.state : docs.current.get(id));

  /** Puts tab `id`'s document in the view (the view stays empty while it loads). */
  const show = useCallback((id: number | null) => {
    const v = view.current;
    if (!v) return;
    if (shown.current !== null && shown.current !== id) docs.current.set(shown.current, v.state);
    const state = id === null ? undefined : docs.current.get(id);
    if (!state) return void (shown.current = null);
    if (shown.current !== id) {
      v.setState(state);
      shown.current = id;
    }
    v.dispatch({ effects: themeSlot.reconfigure(themeFor(darkRef.current)) });
  }, []);

  /** A fresh document for a tab, marked clean. */
  const install = useCallback(
    (id: number, path: string, text: string) => {
      const state = createDocState(
        text,
        path,
        darkRef.current,
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const base = saved.current.get(id);
          const dirty = !base || !update.state.doc.eq(base);
          if (tabsRef.current.find((t) => t.id === id)?.dirty !== dirty) patch(id, { dirty });
        }),
      );
      if (shown.current === id) shown.current = null;
      docs.current.set(id, state);
      saved.current.set(id, state.doc);
    },
    [patch],
  );

  /** Replaces a tab's text with what is on disk, as an undoable edit. */
  const replaceText = (id: number, text: string) => {
    const state = stateOf(id);
    if (!state) return;
    const spec = { changes: { from: 0, to: state.doc.length, insert: text } };
    if (shown.current === id && view.current) view.current.dispatch(spec);
    else docs.current.set(id, state.update(spec).state);
    saved.current.set(id, stateOf(id)!.doc);
  };

  const load = async (id: number, path: string, mode: 'open' | 'reload') => {
    try {
      const content = await files.read(path);
      if (!tabsRef.current.some((t) => t.id === id)) return;
      if (content.binary) return patch(id, { status: 'binary', etag: content.etag });
      if (mode === 'open' || !stateOf(id)) install(id, path, content.text);
      else replaceText(id, content.text);
      patch(id, { status: 'ready', etag: content.etag, dirty: false, conflict: false, deleted: false, saveError: undefined });
    } catch (err) {
      if (mode === 'open') patch(id, { status: 'error', error: messageOf(err) });
      else patch(id, { saveError: messageOf(err) });
    }
  };

  const open = (path: string) => {
    const existing = tabsRef.current.find((t) => t.path === path);
    if (existing) return setActiveId(existing.id);
    const id = nextId.current++;
    const tab: EditorTab = { id, path, status: 'loading', etag: null, dirty: false, saving: false, conflict: false, deleted: false };
    tabsRef.current = [...tabsRef.current, tab];
    setTabs(tabsRef.current);
    setActiveId(id);
    void load(id, path, 'open');
  };

  const save = async (id: number, force = false) => {
    const tab = tabsRef.current.find((t) => t.id === id);
    const state = stateOf(id);
    if (!tab || tab.status !== 'ready' || !state || tab.saving) return;
    const snapshot = state.doc;
    patch(id, { saving: true, saveError: undefined });
    try {
      const written = await files.write(tab.path, snapshot.toString(), force ? null : tab.etag);
      saved.current.set(id, snapshot);
      patch(id, { saving: false, etag: written.etag, conflict: false, deleted: false, dirty: !stateOf(id)!.doc.eq(snapshot) });
    } catch (err) {
      const conflict = err instanceof ApiError && err.code === 'revision_conflict';
      patch(id, { saving: false, conflict, saveError: conflict ? undefined : messageOf(err) });
    }
  };

  const close = (id: number, { force = false } = {}) => {
    const tab = tabsRef.current.find((t) => t.id === id);
    if (!tab) return;
    if (tab.dirty && !force) return setClosingId(id);
    const index = tabsRef.current.indexOf(tab);
    tabsRef.current = tabsRef.current.filter((t) => t.id !== id);
    setTabs(tabsRef.current);
    docs.current.delete(id);
    saved.current.delete(id);
    if (shown.current === id) shown.current = null;
    setActiveId((current) => (current === id ? ((tabsRef.current[index] ?? tabsRef.current[index - 1])?.id ?? null) : current));
  };

  /** Keeps open tabs in step with changes others (or this page) made on disk. */
  const onFileEvent = (event: EnvironmentEvent) => {
    const data = event.data as { path?: string; etag?: string; from?: string; to?: string };
    for (const tab of tabsRef.current) {
      if (event.type === 'file.changed' && tab.path === data.path && data.etag && data.etag !== tab.etag && tab.status === 'ready' && !tab.dirty && !tab.saving) {
        void load(tab.id, tab.path, 'reload');
      } else if (event.type === 'file.deleted' && data.path !== undefined && isUnder(tab.path, data.path)) {
        // Nothing to lose in a clean tab: close it. Unsaved edits stay, marked, and can be saved again.
        if (tab.dirty || tab.saving) patch(tab.id, { deleted: true });
        else close(tab.id, { force: true });
      } else if (event.type === 'file.moved' && data.from !== undefined && data.to !== undefined && isUnder(tab.path, data.from)) {
        patch(tab.id, { path: data.to + tab.path.slice(data.from.length) });
      }
    }
  };

  /** Callback ref for the element that hosts the editor view. */
  const host = useCallback(
    (element: HTMLDivElement | null) => {
      if (element) {
        view.current = new EditorView({ parent: element });
        shown.current = null;
        show(wanted.current);
      } else if (view.current) {
        if (shown.current !== null) docs.current.set(shown.current, view.current.state);
        view.current.destroy();
        view.current = null;
        shown.current = null;
      }
    },
    [show],
  );

  // Unsaved edits: ask before the browser tab closes or reloads.
  const anyDirty = tabs.some((t) => t.dirty);
  useEffect(() => {
    if (!anyDirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [anyDirty]);

  const active = tabs.find((t) => t.id === activeId) ?? null;
  const activeReady = active?.status === 'ready';
  useEffect(() => {
    wanted.current = activeReady ? activeId : null;
    show(wanted.current);
    if (activeReady) view.current?.focus();
  }, [activeId, activeReady, show]);
  useEffect(() => {
    view.current?.dispatch({ effects: themeSlot.reconfigure(themeFor(dark)) });
  }, [dark]);

  return {
    tabs,
    active,
    host,
    open,
    close: (id: number) => close(id),
    closing: tabs.find((t) => t.id === closingId) ?? null,
    confirmClose: () => {
      if (closingId !== null) close(closingId, { force: true });
      setClosingId(null);
    },
    cancelClose: () => setClosingId(null),
    select: setActiveId,
    save: (id: number) => save(id),
    overwrite: (id: number) => save(id, true),
    reload: (id: number) => load(id, tabsRef.current.find((t) => t.id === id)?.path ?? '', 'reload'),
    onFileEvent,
  };
}
