import type { FileEntry } from '@berth/contracts';
import { useQuery } from '@tanstack/react-query';
import { Fragment, type KeyboardEvent } from 'react';
import { queryKeys } from '../../api/query-keys.js';
import { useServing } from '../environments/environments.queries.js';
import { type FilesApi, messageOf, parentOf } from './files-api.js';
import { Icon } from './Icon.js';

export interface Selection {
  path: string;
  type: FileEntry['type'];
}

export interface TreeContext {
  envId: string;
  files: FilesApi;
  expanded: ReadonlySet<string>;
  selected: Selection | null;
  /** The tab-stop row when nothing is selected yet. */
  firstPath: string | null;
  dropDir: string | null;
  activePath: string | null;
  toggle: (path: string) => void;
  select: (entry: Selection) => void;
  open: (path: string) => void;
}

export function useListing(envId: string, files: FilesApi, dir: string) {
  const serving = useServing(envId);
  return useQuery({
    queryKey: queryKeys.files(envId, dir),
    queryFn: () => files.list(dir),
    enabled: serving,
    // Files made in a terminal announce nothing: look again every little while.
    refetchInterval: serving ? 8000 : false,
    refetchOnWindowFocus: true,
  });
}

const indent = (level: number) => ({ paddingLeft: `${0.5 + (level - 1) * 0.9}rem` });

/** One folder's entries as flat rows (aria-level says the depth), expanded folders followed by theirs. */
export function TreeLevel({ ctx, dir, level }: { ctx: TreeContext; dir: string; level: number }) {
  const listing = useListing(ctx.envId, ctx.files, dir);
  if (listing.isPending) return <div className="ide-tree-note" style={indent(level)}>Loading…</div>;
  if (listing.isError) return <div className="ide-tree-note error" role="alert" style={indent(level)}>{messageOf(listing.error)}</div>;
  const items = listing.data.items;
  if (items.length === 0) return <div className="ide-tree-note" style={indent(level)}>{level === 1 ? 'The workspace is empty. Create a file or drop some here.' : 'Empty folder'}</div>;
  return (
    <>
      {items.map((item, index) => (
        <Fragment key={item.path}>
          <TreeRow ctx={ctx} item={item} level={level} position={index + 1} size={items.length} />
          {item.type === 'dir' && ctx.expanded.has(item.path) && <TreeLevel ctx={ctx} dir={item.path} level={level + 1} />}
        </Fragment>
      ))}
    </>
  );
}

function TreeRow({ ctx, item, level, position, size }: { ctx: TreeContext; item: FileEntry; level: number; position: number; size: number }) {
  const isDir = item.type === 'dir';
  const expanded = isDir && ctx.expanded.has(item.path);
  const selected = ctx.selected?.path === item.path;
  const tabStop = ctx.selected ? selected : ctx.firstPath === item.path;
  const activate = () => {
    ctx.select({ path: item.path, type: item.type });
    if (isDir) ctx.toggle(item.path);
    else ctx.open(item.path);
  };
  return (
    <div
      role="treeitem"
      className="ide-tree-row"
      data-path={item.path}
      data-type={item.type}
      data-drop={isDir && ctx.dropDir === item.path ? '' : undefined}
      data-open={ctx.activePath === item.path ? '' : undefined}
      aria-level={level}
      aria-posinset={position}
      aria-setsize={size}
      aria-expanded={isDir ? expanded : undefined}
      aria-selected={selected}
      tabIndex={tabStop ? 0 : -1}
      style={indent(level)}
      title={item.path}
      onClick={activate}
      onFocus={() => !selected && ctx.select({ path: item.path, type: item.type })}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          activate();
        }
      }}
    >
      <span className="ide-tree-twisty">{isDir && <Icon name="chevron" className={expanded ? 'ide-rot' : ''} />}</span>
      <Icon name={isDir ? 'folder' : 'file'} className={isDir ? 'ide-icon-folder' : 'ide-icon-file'} />
      <span className="ide-tree-name">{item.name}</span>
    </div>
  );
}

/** Arrow keys, Home and End move between rows; Left and Right fold and unfold (the tree pattern of WAI-ARIA). */
export function treeKeyDown(event: KeyboardEvent<HTMLElement>, ctx: TreeContext) {
  const rows = Array.from(event.currentTarget.querySelectorAll<HTMLElement>('[role="treeitem"]'));
  const current = (event.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]');
  if (!current) return;
  const index = rows.indexOf(current);
  const path = current.dataset.path ?? '';
  const isDir = current.dataset.type === 'dir';
  const focus = (row: HTMLElement | undefined) => {
    if (!row) return;
    event.preventDefault();
    row.focus();
  };
  switch (event.key) {
    case 'ArrowDown':
      return focus(rows[index + 1]);
    case 'ArrowUp':
      return focus(rows[index - 1]);
    case 'Home':
      return focus(rows[0]);
    case 'End':
      return focus(rows[rows.length - 1]);
    case 'ArrowRight':
      event.preventDefault();
      if (isDir && !ctx.expanded.has(path)) ctx.toggle(path);
      else if (isDir) focus(rows[index + 1]);
      return;
    case 'ArrowLeft':
      event.preventDefault();
      if (isDir && ctx.expanded.has(path)) ctx.toggle(path);
      else focus(rows.find((row) => row.dataset.path === parentOf(path) && parentOf(path) !== ''));
      return;
  }
}
