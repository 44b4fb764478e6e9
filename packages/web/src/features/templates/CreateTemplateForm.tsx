import type { Template } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { ActionError, CheckboxField, Field, SubmitButton } from '../../components/Field.js';
import { useCreateTemplate } from './templates.queries.js';

type FileRow = { key: number; path: string; content: string };

let nextKey = 1;
const emptyRow = (): FileRow => ({ key: nextKey++, path: '', content: '' });

/** "My App!" → "my-app": a slug suggestion until the user types their own. */
const slugify = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);

export function CreateTemplateForm({ canPublish }: { canPublish: boolean }) {
  const create = useCreateTemplate();
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isPublic, setPublic] = useState(false);
  const [files, setFiles] = useState<FileRow[]>(() => [emptyRow()]);
  const [created, setCreated] = useState<Template | null>(null);
  // Blank rows are not sent, so the API's "files.N" errors are matched back to rows through this.
  const [sentKeys, setSentKeys] = useState<number[]>([]);

  const error = create.error instanceof ApiError ? create.error : null;
  const [missing, setMissing] = useState<Record<string, string>>({});
  const fields = { ...(error?.fieldErrors() ?? {}), ...missing };
  if (error?.code === 'conflict') fields.slug = error.message;
  const fileError = (key: number, prop: 'path' | 'content') => fields[`files.${sentKeys.indexOf(key)}.${prop}`];
  const shown = new Set(['slug', 'name', 'description', 'public', ...sentKeys.flatMap((_, i) => [`files.${i}.path`, `files.${i}.content`])]);
  const generalError = create.error && !Object.keys(fields).some((k) => shown.has(k)) ? (fields.files ?? create.error.message) : null;

  const update = (key: number, patch: Partial<FileRow>) => setFiles((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    // Empty required fields are caught here: the API's messages for them are written for programs.
    const absent: Record<string, string> = {};
    if (!slug.trim()) absent.slug = 'Choose a slug.';
    if (!name.trim()) absent.name = 'Give the template a name.';
    setMissing(absent);
    if (Object.keys(absent).length > 0) {
      create.reset();
      return;
    }
    const sent = files.filter((f) => f.path.trim() || f.content);
    setSentKeys(sent.map((f) => f.key));
    const body = {
      slug: slug.trim(),
      name: name.trim(),
      description: description.trim(),
      public: canPublish && isPublic,
      files: sent.map((f) => ({ path: f.path.trim(), content: f.content, mode: '644' })),
    };
    create.mutate(body, {
      onSuccess: (template) => {
        setCreated(template);
        setSlug('');
        setSlugTouched(false);
        setName('');
        setDescription('');
        setPublic(false);
        setFiles([emptyRow()]);
      },
    });
  };

  return (
    <form className="card template-form" onSubmit={submit} noValidate aria-labelledby="new-template-title">
      <h2 id="new-template-title" className="section-title">
        Create a template
      </h2>
      <div className="form-grid">
        <Field label="Slug" hint={'Lowercase letters, digits and "-"; unique.'} error={fields.slug}>
          {(control) => (
            <input
              {...control}
              name="slug"
              value={slug}
              onChange={(e) => {
                setSlug(e.target.value);
                setSlugTouched(true);
              }}
              required
              spellCheck={false}
              autoComplete="off"
              className="mono"
            />
          )}
        </Field>
        <Field label="Name" error={fields.name}>
          {(control) => (
            <input
              {...control}
              name="name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                if (!slugTouched) setSlug(slugify(e.target.value));
              }}
              required
              maxLength={100}
            />
          )}
        </Field>
      </div>
      <Field label="Description" error={fields.description}>
        {(control) => <textarea {...control} name="description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />}
      </Field>
      {canPublish && (
        <CheckboxField label="Public: every user can see and use it" name="public" checked={isPublic} onChange={(e) => setPublic(e.target.checked)} error={fields.public} />
      )}

      <fieldset className="file-rows">
        <legend>Files</legend>
        {files.map((file, i) => {
          const pathError = fileError(file.key, 'path');
          const contentError = fileError(file.key, 'content');
          return (
          <div className="file-row" key={file.key} data-testid="template-file-row">
            <Field label="Path" error={pathError}>
              {(control) => (
                <input {...control} value={file.path} onChange={(e) => update(file.key, { path: e.target.value })} placeholder="e.g. src/main.py" className="mono" spellCheck={false} autoComplete="off" />
              )}
            </Field>
            <Field label="Content" error={contentError}>
              {(control) => <textarea {...control} value={file.content} onChange={(e) => update(file.key, { content: e.target.value })} rows={4} className="mono" spellCheck={false} />}
            </Field>
            <button type="button" className="ghost remove-file" aria-label={`Remove file ${i + 1}`} onClick={() => setFiles((rows) => (rows.length > 1 ? rows.filter((r) => r.key !== file.key) : [emptyRow()]))}>
              ✕
            </button>
          </div>
          );
        })}
        <button type="button" onClick={() => setFiles((rows) => [...rows, emptyRow()])}>
          Add file
        </button>
      </fieldset>

      <div className="row form-actions">
        <SubmitButton label="Create template" pendingLabel="Creating…" pending={create.isPending} />
        <ActionError message={generalError} />
        {created && (
          <p role="status" className="success">
            Created template “{created.name}” with {created.files.length} file{created.files.length === 1 ? '' : 's'}.
          </p>
        )}
      </div>
    </form>
  );
}
