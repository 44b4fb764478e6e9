import path from 'node:path/posix';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { TEMPLATE_MAX_BYTES, type CreateTemplateBody, type Template, type TemplateBuildEvent, type TemplateSummary, type UpdateTemplateBody } from '@berth/contracts';
import { requireActor, type Actor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import type { TemplateFile } from '../../db/schema.js';
import { AppError, ValidationError } from '../../errors.js';
import type { ImageRecipe, RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize, may } from '../auth/authorize.js';
import { confine } from '../files/files.domain.js';
import { imageOf } from './templates.domain.js';
import type { TemplatesRepo, TemplateWithOwner } from './templates.repo.js';
import { SEED_TEMPLATES } from './templates.seed.js';

interface Deps {
  db: Db;
  templatesRepo: TemplatesRepo;
  runtime: Pick<RuntimeDriver, 'writeArchive' | 'exec' | 'ensureImage'>;
  audit: AuditService;
}

/** Template file paths are relative, clean and inside the folder they are applied to. */
function checkFiles(files: { path: string; content: string }[]): void {
  const errors = files.flatMap((f, i) => {
    const abs = f.path.startsWith('/') ? null : confine(f.path);
    return !abs || abs === '/workspace' ? [{ field: `body.files.${i}.path`, message: 'a relative path that stays inside the folder' }] : [];
  });
  const total = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
  if (total > TEMPLATE_MAX_BYTES) errors.push({ field: 'body.files', message: `at most ${TEMPLATE_MAX_BYTES} bytes in all` });
  if (errors.length > 0) throw new ValidationError(errors);
}

export function createTemplatesService({ db, templatesRepo, runtime, audit }: Deps) {
  async function seedDefaults(): Promise<void> {
    await templatesRepo.seed(db, SEED_TEMPLATES.map((t) => ({ ...t, public: true, ownerId: null })));
  }

  /** A template the actor may see: public, their own, or any for admins; otherwise not found. */
  async function visible(actor: Actor | null, id: string): Promise<TemplateWithOwner> {
    const t = await templatesRepo.get(db, id);
    if (t?.public && actor) return t;
    authorize(actor, 'own', t?.ownerId ? { ownerId: t.ownerId } : undefined, 'Template');
    return t!;
  }

  /** The template of this slug if the actor may see it (E2B's templateID names templates by slug). */
  async function visibleBySlug(actor: Actor | null, slug: string): Promise<TemplateWithOwner | undefined> {
    const t = await templatesRepo.getBySlug(db, slug);
    return t && (t.public || t.ownerId === actor?.id || may(actor, 'templates.all')) ? t : undefined;
  }

  /** A template the actor may change: their own private one, or any for admins. */
  async function changeable(actor: Actor | null, id: string): Promise<TemplateWithOwner> {
    const t = await visible(actor, id);
    // Public templates (and anyone else's) are an administrator's to change.
    if (t.public || t.ownerId !== actor!.id) authorize(actor, 'templates.publish');
    return t;
  }

  async function list(ctx: RequestContext): Promise<TemplateSummary[]> {
    const actor = requireActor(ctx);
    return (await templatesRepo.listVisible(db, actor.id, may(actor, 'templates.all'))).map(toSummary);
  }

  async function get(ctx: RequestContext, id: string): Promise<Template> {
    return toTemplate(await visible(ctx.actor, id));
  }

  async function create(ctx: RequestContext, body: CreateTemplateBody): Promise<Template> {
    const actor = requireActor(ctx);
    const record = { targetType: 'template', metadata: { slug: body.slug, public: body.public, files: body.files.length, dockerfile: !!body.dockerfile, nodeLabels: body.nodeLabels ?? {}, runtimeClass: body.runtimeClass ?? 'standard' } };
    await audit.precheck(ctx, 'template.create', record, async () => {
      if (body.public) authorize(actor, 'templates.publish');
      // A Dockerfile names images to pull and runs its steps with the engine's network: the catalogue's keepers' call.
      if (body.dockerfile) authorize(actor, 'images.name');
      // Labels choose which machines run its environments (the GPU ones, say): the nodes' keepers' call.
      if (body.nodeLabels && Object.keys(body.nodeLabels).length > 0) authorize(actor, 'nodes.manage');
      checkFiles(body.files);
    });
    const row = await audit.mutate(ctx, 'template.create', record, async (tx, rec) => {
      const created = await templatesRepo.insert(tx, { ...body, ownerId: actor.id, orgId: actor.orgId });
      rec.targetId = created.id;
      return created;
    });
    return toTemplate({ ...row, ownerUsername: actor.username });
  }

  async function update(ctx: RequestContext, id: string, body: UpdateTemplateBody): Promise<Template> {
    await changeable(ctx.actor, id);
    const record = { targetType: 'template', targetId: id, metadata: { fields: Object.keys(body) } };
    await audit.precheck(ctx, 'template.update', record, async () => {
      if (body.public) authorize(ctx.actor, 'templates.publish');
      if (body.dockerfile) authorize(ctx.actor, 'images.name');
      if (body.nodeLabels) authorize(ctx.actor, 'nodes.manage');
      if (body.files) checkFiles(body.files);
    });
    await audit.mutate(ctx, 'template.update', record, (tx) => templatesRepo.update(tx, id, body));
    return toTemplate((await templatesRepo.get(db, id))!);
  }

  async function remove(ctx: RequestContext, id: string): Promise<void> {
    await changeable(ctx.actor, id);
    await audit.mutate(ctx, 'template.delete', { targetType: 'template', targetId: id }, (tx) => templatesRepo.delete(tx, id));
  }

  /** Writes a template's files into a folder of a running environment (the folder must be confined already). */
  async function writeFiles(environmentId: string, dir: string, files: TemplateFile[], clean: boolean): Promise<void> {
    if (clean) {
      await runtime.exec(environmentId, { argv: ['/bin/sh', '-c', 'cd "$1" && rm -rf ./* ./.[!.]* ./..?*', 'sh', dir], timeoutMs: 60_000, maxOutputBytes: 65_536 });
    }
    await runtime.exec(environmentId, { argv: ['mkdir', '-p', dir], timeoutMs: 10_000, maxOutputBytes: 65_536 });
    const pack = tar.pack();
    const dirs = new Set(files.flatMap((f) => ancestors(f.path)));
    for (const d of dirs) pack.entry({ name: d, type: 'directory', mode: 0o755 });
    for (const f of files) pack.entry({ name: f.path, mode: parseInt(f.mode, 8) }, f.content);
    pack.finalize();
    await runtime.writeArchive(environmentId, dir, pack as unknown as Readable);
  }

  /** For the reconciler: how to build an environment's image when it is its template's current version. */
  async function recipeFor(env: { image: string; templateId: string | null }): Promise<ImageRecipe | undefined> {
    const t = env.templateId ? await templatesRepo.get(db, env.templateId) : undefined;
    return t?.dockerfile && imageOf(t) === env.image ? { dockerfile: t.dockerfile } : undefined;
  }

  /** For the reconciler: the template's start command, run in the background in a just-started environment. */
  async function runStartCommand(environmentId: string, templateId: string): Promise<string | null> {
    const t = await templatesRepo.get(db, templateId);
    if (!t?.startCommand) return null;
    // In the background, its output to a file and no stdin: the exec ends at once, the command runs on.
    const detached = 'sh -c "$1" >/tmp/berth-start.log 2>&1 </dev/null &';
    await runtime.exec(environmentId, { argv: ['/bin/sh', '-c', detached, 'sh', t.startCommand], timeoutMs: 10_000, maxOutputBytes: 65_536 });
    return `started "${t.startCommand}" (output in /tmp/berth-start.log)`;
  }

  /**
   * A build of a template's image, refused at once (not the caller's to change, no Dockerfile);
   * once run, it builds unless the engine has the image already, telling `emit` every line of the
   * build and then how it ended.
   */
  async function startBuild(ctx: RequestContext, id: string): Promise<(emit: (event: TemplateBuildEvent) => void) => Promise<void>> {
    const t = await changeable(ctx.actor, id);
    const image = imageOf(t);
    const dockerfile = t.dockerfile;
    if (!image || !dockerfile) throw new AppError('conflict', `Template "${t.slug}" has no Dockerfile to build`);
    return (emit) => build(ctx, t.id, image, dockerfile, emit);
  }

  async function build(ctx: RequestContext, templateId: string, image: string, dockerfile: string, emit: (event: TemplateBuildEvent) => void): Promise<void> {
    let built = false;
    try {
      await runtime.ensureImage(image, (line) => {
        built = true;
        emit({ type: 'log', line });
      }, { dockerfile });
      emit({ type: 'done', image, cached: !built });
      await audit.record(ctx, 'template.build', { targetType: 'template', targetId: templateId, metadata: { image, cached: !built } }, true);
    } catch (err) {
      emit({ type: 'error', message: (err as Error).message });
      await audit.record(ctx, 'template.build', { targetType: 'template', targetId: templateId, metadata: { image } }, false);
    }
  }

  return { seedDefaults, visible, visibleBySlug, changeable, list, get, create, update, remove, writeFiles, imageOf, recipeFor, runStartCommand, startBuild };
}

export type TemplatesService = ReturnType<typeof createTemplatesService>;

function ancestors(file: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(path.normalize(file)); d !== '.' && d !== '/'; d = path.dirname(d)) out.unshift(d);
  return out;
}

const toSummary = (t: TemplateWithOwner): TemplateSummary => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  description: t.description,
  public: t.public,
  owner: t.ownerId && t.ownerUsername ? { id: t.ownerId, username: t.ownerUsername } : null,
  fileCount: t.files.length,
  image: imageOf(t),
  startCommand: t.startCommand,
  nodeLabels: t.nodeLabels,
  runtimeClass: t.runtimeClass,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

const toTemplate = (t: TemplateWithOwner): Template => ({ ...toSummary(t), files: t.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode })), dockerfile: t.dockerfile });
