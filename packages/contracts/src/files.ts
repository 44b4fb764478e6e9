import { z } from 'zod';
import { TimestampSchema } from './common.js';

export const FILE_MAX_BYTES = 25 * 1024 * 1024;

/** A path inside /workspace (relative to it, or absolute under it). */
export const WorkspacePathSchema = z.string().max(4096).describe('Relative to /workspace, or absolute under it');

export const FileEntrySchema = z
  .object({
    name: z.string(),
    path: z.string().describe('Relative to /workspace'),
    type: z.enum(['file', 'dir', 'symlink', 'other']),
    size: z.number().int(),
    mode: z.string().describe('Permission bits in octal, e.g. "644"'),
    mtime: TimestampSchema,
  })
  .meta({ id: 'FileEntry' });

export const FileListSchema = z.object({ path: z.string(), items: z.array(FileEntrySchema) });
export const PathQuerySchema = z.strictObject({ path: WorkspacePathSchema.default('') });
export const DeleteQuerySchema = z.strictObject({ path: WorkspacePathSchema, recursive: z.enum(['true', 'false']).default('false') });
export const MkdirBodySchema = z.strictObject({ path: WorkspacePathSchema });
export const MoveBodySchema = z.strictObject({ from: WorkspacePathSchema, to: WorkspacePathSchema, overwrite: z.boolean().default(false) });
export const ArchiveQuerySchema = z.strictObject({ path: WorkspacePathSchema.default(''), format: z.enum(['tar.gz', 'zip']).default('tar.gz') });
export const SearchQuerySchema = z.strictObject({
  q: z.string().min(1).max(1000),
  path: WorkspacePathSchema.default(''),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const SearchMatchSchema = z.object({ path: z.string(), line: z.number().int(), text: z.string() });
export const SearchResultSchema = z.object({ items: z.array(SearchMatchSchema), truncated: z.boolean() });

export type FileEntry = z.infer<typeof FileEntrySchema>;
export type SearchMatch = z.infer<typeof SearchMatchSchema>;
