import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

export const TEMPLATE_MAX_BYTES = 5 * 1024 * 1024;

export const TemplateFileSchema = z.strictObject({
  path: z.string().min(1).max(1024).describe('Relative to the folder the template is applied to'),
  content: z.string().max(TEMPLATE_MAX_BYTES),
  mode: z.string().regex(/^[0-7]{3,4}$/).default('644'),
});

export const TemplateSummarySchema = z
  .object({
    id: IdSchema,
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    public: z.boolean(),
    owner: z.object({ id: IdSchema, username: z.string() }).nullable(),
    fileCount: z.number().int(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'TemplateSummary' });

export const TemplateSchema = TemplateSummarySchema.extend({ files: z.array(TemplateFileSchema) }).meta({ id: 'Template' });
export const TemplateListSchema = z.object({ items: z.array(TemplateSummarySchema) });

export const SlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", at most 63');
export const CreateTemplateBodySchema = z.strictObject({
  slug: SlugSchema,
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000).default(''),
  public: z.boolean().default(false),
  files: z.array(TemplateFileSchema).max(500),
});
export const UpdateTemplateBodySchema = CreateTemplateBodySchema.omit({ slug: true }).partial();
export const ApplyTemplateBodySchema = z.strictObject({
  templateId: IdSchema,
  path: z.string().max(4096).default('').describe('Folder to write into, relative to /workspace'),
  clean: z.boolean().default(false).describe('Empty the folder first'),
});

export type Template = z.infer<typeof TemplateSchema>;
export type TemplateSummary = z.infer<typeof TemplateSummarySchema>;
export type TemplateFile = z.infer<typeof TemplateFileSchema>;
export type CreateTemplateBody = z.infer<typeof CreateTemplateBodySchema>;
export type UpdateTemplateBody = z.infer<typeof UpdateTemplateBodySchema>;
export type ApplyTemplateBody = z.infer<typeof ApplyTemplateBodySchema>;
