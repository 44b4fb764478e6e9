import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

/** Who may open a port's preview: its owner (and admins), any signed-in user, or anyone at all. */
export const PORT_SHARING = ['owner', 'authenticated', 'public'] as const;
export const PortSharingSchema = z.enum(PORT_SHARING).describe('owner: the owner and admins; authenticated: any signed-in user; public: anyone');

/**
 * Where a preview host takes a grant (a form POST of `grant` and `path`): the one
 * path Berth keeps for itself on a preview origin.
 */
export const PREVIEW_GRANT_PATH = '/__berth/grant';

export const PortParamsSchema = z.strictObject({ id: IdSchema, port: z.coerce.number().int().min(1).max(65535) });

export const ListeningPortSchema = z.object({
  port: z.number().int(),
  address: z.string(),
  url: z.string().describe('The preview, on its own origin (<port>-<environment id>.<preview domain>); open it through a grant'),
  sharing: PortSharingSchema,
});
export const PortListSchema = z.object({ items: z.array(ListeningPortSchema) });

export const PortSharingBodySchema = z.strictObject({ sharing: PortSharingSchema });
export const PortSharingResultSchema = z.object({ port: z.number().int(), sharing: PortSharingSchema, url: z.string() });

export const PreviewGrantSchema = z
  .object({
    grant: z.string().describe('Single use; POST it as the form field `grant` (with `path`) to `action` before `expiresAt`'),
    action: z.string().describe(`The preview origin's ${PREVIEW_GRANT_PATH}`),
    url: z.string().describe('The preview'),
    expiresAt: TimestampSchema,
  })
  .meta({ id: 'PreviewGrant' });

export type PortSharing = z.infer<typeof PortSharingSchema>;
export type ListeningPort = z.infer<typeof ListeningPortSchema>;
export type PortSharingResult = z.infer<typeof PortSharingResultSchema>;
export type PreviewGrant = z.infer<typeof PreviewGrantSchema>;
