import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';
import { RequiredNodeLabelsSchema, RuntimeClassSchema } from './nodes.js';

export const TEMPLATE_MAX_BYTES = 5 * 1024 * 1024;
export const TEMPLATE_DOCKERFILE_MAX_BYTES = 64 * 1024;

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
    image: z.string().nullable().describe("The image its environments run, built from its Dockerfile and tagged with the Dockerfile's hash (the template's version); null: the machine type's"),
    startCommand: z.string().nullable().describe('Run in the background each time one of its environments starts'),
    nodeLabels: z.record(z.string(), z.string()).describe("Node labels its environments need, on top of their machine type's (the template's value wins where both name one)"),
    runtimeClass: RuntimeClassSchema.describe("`sandboxed`: its environments run under gVisor whatever their machine type; `standard`: as their machine type says"),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'TemplateSummary' });

export const TemplateSchema = TemplateSummarySchema.extend({ files: z.array(TemplateFileSchema), dockerfile: z.string().nullable() }).meta({ id: 'Template' });
export const TemplateListSchema = z.object({ items: z.array(TemplateSummarySchema) });

export const SlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", at most 63');
/** A template's changeable fields, as an update takes them: what is left out stays as it is. */
const TemplateFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000),
  public: z.boolean(),
  files: z.array(TemplateFileSchema).max(500),
  dockerfile: z.string().trim().min(1).max(TEMPLATE_DOCKERFILE_MAX_BYTES).nullable().describe('Environments run an image built from this (administrators only: its FROM and RUN reach registries and networks)'),
  startCommand: z.string().trim().min(1).max(4096).nullable().describe('A shell command run in the background (sh -c, output in /tmp/berth-start.log) each time an environment starts'),
  nodeLabels: RequiredNodeLabelsSchema.describe('Node labels its environments need (administrators only: they choose which machines run what)'),
  runtimeClass: RuntimeClassSchema.describe("`sandboxed` runs its environments under gVisor; anyone may ask for it (it only ever adds isolation)"),
};
export const CreateTemplateBodySchema = z.strictObject({
  slug: SlugSchema,
  ...TemplateFields,
  description: TemplateFields.description.default(''),
  public: TemplateFields.public.default(false),
  files: TemplateFields.files.default([]),
  dockerfile: TemplateFields.dockerfile.optional(),
  startCommand: TemplateFields.startCommand.optional(),
  nodeLabels: TemplateFields.nodeLabels.optional(),
  runtimeClass: TemplateFields.runtimeClass.optional(),
});
// No defaults here: a field left out of an update is not reset to the create's default.
export const UpdateTemplateBodySchema = z.strictObject(TemplateFields).partial();
/** One line of `POST /templates/{id}/build`'s NDJSON answer. */
export type TemplateBuildEvent = { type: 'log'; line: string } | { type: 'done'; image: string; cached: boolean } | { type: 'error'; message: string };

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
