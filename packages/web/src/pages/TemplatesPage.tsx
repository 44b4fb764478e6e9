import type { Me, TemplateSummary } from '@berth/contracts';
import { useState } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ApplyTemplateDialog } from '../features/templates/ApplyTemplateDialog.js';
import { CreateTemplateForm } from '../features/templates/CreateTemplateForm.js';
import { TemplateCard } from '../features/templates/TemplateCard.js';
import { TemplateFilesDialog } from '../features/templates/TemplateFilesDialog.js';
import { useDeleteTemplate, useTemplates } from '../features/templates/templates.queries.js';
import '../features/environments/environments.css';
import '../features/templates/templates.css';

export function TemplatesPage({ me }: { me: Me }) {
  const templates = useTemplates();
  const remove = useDeleteTemplate();
  const [viewing, setViewing] = useState<TemplateSummary | null>(null);
  const [applying, setApplying] = useState<TemplateSummary | null>(null);
  const [deleting, setDeleting] = useState<TemplateSummary | null>(null);
  const canDelete = (t: TemplateSummary) => me.isAdmin || t.owner?.id === me.id;

  const closeDelete = () => {
    remove.reset();
    setDeleting(null);
  };

  return (
    <section className="page templates">
      <header className="page-head">
        <div>
          <h1>Templates</h1>
          <p className="muted">Starter file sets: pick one when creating an environment, or apply one to a folder of a running environment.</p>
        </div>
      </header>

      {templates.isPending && <p className="muted">Loading templates…</p>}
      {templates.error && (
        <p role="alert" className="error">
          Could not load templates: {templates.error.message}
        </p>
      )}
      {templates.data && templates.data.length === 0 && <p className="card muted">No templates yet: create the first one below.</p>}
      {templates.data && templates.data.length > 0 && (
        <div className="template-grid" role="list" aria-label="Templates">
          {templates.data.map((t) => (
            <div role="listitem" key={t.id}>
              <TemplateCard template={t} canDelete={canDelete(t)} onView={() => setViewing(t)} onApply={() => setApplying(t)} onDelete={() => setDeleting(t)} />
            </div>
          ))}
        </div>
      )}

      <CreateTemplateForm canPublish={me.isAdmin} />

      <TemplateFilesDialog template={viewing} onClose={() => setViewing(null)} />
      <ApplyTemplateDialog template={applying} onClose={() => setApplying(null)} />
      <ConfirmDialog
        open={deleting !== null}
        title={deleting ? `Delete ${deleting.name}?` : 'Delete template?'}
        confirmLabel="Delete template"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={closeDelete}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: closeDelete })}
      >
        <p>
          The template <strong>{deleting?.name}</strong> is removed. Environments that already used it keep their files.
        </p>
      </ConfirmDialog>
    </section>
  );
}
