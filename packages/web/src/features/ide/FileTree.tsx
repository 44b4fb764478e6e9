import { FILE_MAX_BYTES } from '@berth/contracts';
import { queryKeys } from '../../api/query-keys.js';
import { useQueryClient } from '@tanstack/react-query';
import { type DragEvent, useRef, useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { type DroppedFile, droppedFiles } from './dropped-files.js';
import { baseName, type FilesApi, joinPath, messageOf, parentOf } from './files-api.js';
import { type Selection, type TreeContext, TreeLevel, treeKeyDown, useListing } from './FileTreeItems.js';
import { Icon } from './Icon.js';
import { TreeForm, type TreeFormKind } from './TreeForm.js';

interface Props {
  envId: string;
  files: FilesApi;
  activePath: string | null;
  onOpen: (path: string) => void;
}

/** The workspace as a tree: browse, create, rename, delete, upload (drop files on a folder) and download. */
export function FileTree({ envId, files, activePath, onOpen }: Props) {
  const client = useQueryClient();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [selected, setSelected] = useState<Selection | null>(null);
  const [form, setForm] = useState<TreeFormKind | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dropDir, setDropDir] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Selection | null>(null);
  const uploadInput = useRef<HTMLInputElement>(null);

  const refresh = () => client.invalidateQueries({ queryKey: queryKeys.files(envId) });
  const targetDir = selected ? (selected.type === 'dir' ? selected.path : parentOf(selected.path)) : '';
  const expand = (path: string) => setExpanded((set) => new Set([...set, ...ancestors(path)]));
  const toggle = (path: string) =>
    setExpanded((set) => {
      const next = new Set(set);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  const rootItems = useListing(envId, files, '').data?.items;

  const ctx: TreeContext = { envId, files, expanded, selected, firstPath: rootItems?.[0]?.path ?? null, dropDir, activePath, toggle, select: setSelected, open: onOpen };

  const run = async (action: () => Promise<string | void>) => {
    setError(null);
    setNotice(null);
    try {
      const message = await action();
      if (message) setNotice(message);
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    } finally {
      void refresh();
    }
  };

  const submitForm = (kind: TreeFormKind, name: string) =>
    run(async () => {
      if (kind === 'rename' && selected) {
        const to = joinPath(parentOf(selected.path), name);
        await files.move(selected.path, to);
        setSelected({ ...selected, path: to });
        return;
      }
      const path = joinPath(targetDir, name);
      if (kind === 'folder') {
        await files.mkdir(path);
        expand(path);
        setSelected({ path, type: 'dir' });
        return;
      }
      const siblings = await files.list(parentOf(path)).catch(() => ({ items: [] }));
      if (siblings.items.some((item) => item.path === path)) throw new Error(`"${name}" already exists here`);
      await files.write(path, '');
      expand(parentOf(path));
      setSelected({ path, type: 'file' });
      onOpen(path);
    }).then((ok) => ok && setForm(null));

  const remove = () => selected && setDeleting(selected);
  const confirmRemove = () => {
    const target = deleting;
    setDeleting(null);
    if (!target) return;
    void run(async () => {
      await files.remove(target.path);
      setSelected(null);
    });
  };

  const upload = (list: DroppedFile[], dir: string) =>
    run(async () => {
      const tooBig = list.filter((f) => f.file.size > FILE_MAX_BYTES);
      const todo = list.filter((f) => f.file.size <= FILE_MAX_BYTES);
      for (const [index, { relativePath, file }] of todo.entries()) {
        setNotice(`Uploading ${index + 1} of ${todo.length}: ${relativePath}…`);
        await files.write(joinPath(dir, relativePath), file);
      }
      if (dir) expand(dir);
      if (tooBig.length) throw new Error(`Not uploaded (over 25 MiB): ${tooBig.map((f) => f.relativePath).join(', ')}`);
      return `Uploaded ${todo.length} file${todo.length === 1 ? '' : 's'} to /${dir || 'workspace'}`;
    });

  const dirUnder = (event: DragEvent) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>('[data-path]');
    if (!row) return '';
    return row.dataset.type === 'dir' ? (row.dataset.path ?? '') : parentOf(row.dataset.path ?? '');
  };
  const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');

  const downloadHref = selected?.type === 'file' ? files.contentUrl(selected.path) : files.archiveUrl(selected?.type === 'dir' ? selected.path : '');
  const downloadName = selected?.type === 'file' ? baseName(selected.path) : `${selected?.type === 'dir' ? baseName(selected.path) : 'workspace'}.tar.gz`;

  return (
    <section className="ide-files" aria-labelledby="ide-files-title">
      <div className="ide-pane-head">
        <h2 id="ide-files-title">Files</h2>
        <div className="ide-toolbar" role="toolbar" aria-label="File actions">
          <ToolButton icon="newFile" label="New file" onClick={() => setForm('file')} />
          <ToolButton icon="newFolder" label="New folder" onClick={() => setForm('folder')} />
          <ToolButton icon="rename" label="Rename" disabled={!selected} onClick={() => setForm('rename')} />
          <ToolButton icon="trash" label="Delete" disabled={!selected} onClick={remove} />
          <ToolButton icon="upload" label="Upload files" onClick={() => uploadInput.current?.click()} />
          <a className="ide-tool" href={downloadHref} download={downloadName} aria-label="Download" title={`Download ${selected ? selected.path : 'the workspace'}${selected?.type === 'file' ? '' : ' as .tar.gz'}`}>
            <Icon name="download" />
          </a>
          <ToolButton icon="refresh" label="Refresh files" onClick={() => void refresh()} />
        </div>
      </div>
      <input
        ref={uploadInput}
        type="file"
        multiple
        hidden
        aria-label="Files to upload"
        onChange={(event) => {
          const chosen = Array.from(event.target.files ?? []).map((file) => ({ relativePath: file.name, file }));
          event.target.value = '';
          if (chosen.length) void upload(chosen, targetDir);
        }}
      />
      {form && (
        <TreeForm
          key={`${form}:${selected?.path ?? ''}`}
          kind={form}
          where={form === 'rename' ? (selected?.path ?? '') : targetDir}
          initial={form === 'rename' && selected ? baseName(selected.path) : ''}
          onSubmit={(name) => void submitForm(form, name)}
          onCancel={() => {
            setForm(null);
            setError(null);
          }}
        />
      )}
      {error && (
        <p className="error ide-tree-message" role="alert">
          {error}
        </p>
      )}
      {notice && !error && (
        <p className="muted ide-tree-message" role="status">
          {notice}
        </p>
      )}
      <div
        className="ide-tree"
        role="tree"
        aria-label="Workspace files"
        data-drop={dropDir === '' ? '' : undefined}
        onKeyDown={(event) => {
          if (event.key === 'F2' && selected) setForm('rename');
          else if (event.key === 'Delete' && selected) remove();
          else treeKeyDown(event, ctx);
        }}
        onDragOver={(event) => {
          if (!hasFiles(event)) return;
          event.preventDefault();
          event.dataTransfer.dropEffect = 'copy';
          const dir = dirUnder(event);
          if (dir !== dropDir) setDropDir(dir);
        }}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropDir(null);
        }}
        onDrop={(event) => {
          if (!hasFiles(event)) return;
          event.preventDefault();
          const dir = dirUnder(event);
          setDropDir(null);
          void droppedFiles(event.dataTransfer).then((list) => upload(list, dir));
        }}
      >
        <TreeLevel ctx={ctx} dir="" level={1} />
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting ? baseName(deleting.path) : ''}?`}
        confirmLabel={deleting?.type === 'dir' ? 'Delete folder' : 'Delete file'}
        onCancel={() => setDeleting(null)}
        onConfirm={confirmRemove}
      >
        <p>
          {deleting?.type === 'dir' ? 'The folder ' : ''}
          <strong className="mono">/workspace/{deleting?.path}</strong>
          {deleting?.type === 'dir' ? ' and everything in it are' : ' is'} deleted. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function ToolButton({ icon, label, onClick, disabled }: { icon: Parameters<typeof Icon>[0]['name']; label: string; onClick: () => void; disabled?: boolean }) {
  return (
    <button type="button" className="ide-tool" aria-label={label} title={label} onClick={onClick} disabled={disabled}>
      <Icon name={icon} />
    </button>
  );
}

/** A path and its parent folders ("a/b/c" → a, a/b, a/b/c). */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}
