import type { FileEntry } from '@berth/contracts';
import { api, ApiError, apiUrl, urlPath } from '../../api/client.js';

/** Paths as the files API shows them: relative to /workspace, "" is the workspace itself. */
export const joinPath = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
export const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

const q = (path: string) => `path=${encodeURIComponent(path)}`;

export interface FileContent {
  text: string;
  etag: string | null;
  /** NUL bytes in the first few KiB: shown as a download, never edited. */
  binary: boolean;
}

/** The files of one environment, as the IDE uses them. */
export function filesApi(envId: string) {
  const base = urlPath`/environments/${envId}/files`;
  return {
    list: (path: string) => api<{ path: string; items: FileEntry[] }>(`${base}?${q(path)}`),

    /** Raw fetch: the helper would hide the ETag header. */
    async read(path: string): Promise<FileContent> {
      const res = await fetch(apiUrl(`${base}/content?${q(path)}`), { credentials: 'same-origin' });
      if (!res.ok) throw await ApiError.from(res);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const binary = bytes.subarray(0, 8192).includes(0);
      return { text: binary ? '' : new TextDecoder().decode(bytes), etag: res.headers.get('etag'), binary };
    },

    /** Writes a file; with an etag the server refuses (412 revision_conflict) when it changed meanwhile. */
    write: (path: string, body: string | Blob, etag?: string | null) =>
      api<{ path: string; etag: string }>(`${base}/content?${q(path)}`, {
        method: 'PUT',
        body,
        // Octet-stream whatever the file: a JSON type would make the server parse (and reformat) it.
        headers: { 'content-type': 'application/octet-stream', ...(etag ? { 'if-match': etag } : {}) },
      }),

    mkdir: (path: string) => api<void>(`${base}/mkdir`, { method: 'POST', body: { path } }),
    move: (from: string, to: string) => api<void>(`${base}/move`, { method: 'POST', body: { from, to } }),
    remove: (path: string) => api<void>(`${base}?${q(path)}&recursive=true`, { method: 'DELETE' }),

    archiveUrl: (path: string) => apiUrl(`${base}/archive?${q(path)}`),
    contentUrl: (path: string) => apiUrl(`${base}/content?${q(path)}`),
  };
}

export type FilesApi = ReturnType<typeof filesApi>;

/** The message to show for a failed action. */
export const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
