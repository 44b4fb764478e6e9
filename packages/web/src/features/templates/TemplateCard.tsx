import type { TemplateSummary } from '@berth/contracts';

type Props = {
  template: TemplateSummary;
  canDelete: boolean;
  onView: () => void;
  onApply: () => void;
  onDelete: () => void;
};

export function TemplateCard({ template, canDelete, onView, onApply, onDelete }: Props) {
  const nameId = `template-${template.id}-name`;
  return (
    <article className="card template-card" aria-labelledby={nameId} data-testid="template-card" data-template-slug={template.slug}>
      <header className="template-head">
        <h3 id={nameId}>{template.name}</h3>
        {template.public ? <span className="badge badge-public">public</span> : <span className="badge">private</span>}
      </header>
      <p className="mono muted template-slug">{template.slug}</p>
      <p className="template-description">{template.description || <span className="muted">No description.</span>}</p>
      <p className="muted template-meta">
        {template.fileCount} file{template.fileCount === 1 ? '' : 's'} · {template.owner ? `by ${template.owner.username}` : 'built in'}
      </p>
      {template.image && (
        <p className="muted template-meta" data-testid="template-image">
          Image from its Dockerfile, version <span className="mono">{template.image.split(':').at(-1)}</span>
          {template.startCommand && (
            <>
              {' '}· starts <span className="mono">{template.startCommand}</span>
            </>
          )}
        </p>
      )}
      <div className="row template-actions">
        <button type="button" onClick={onView}>
          View files
        </button>
        <button type="button" onClick={onApply}>
          Apply to environment
        </button>
        {canDelete && (
          <button type="button" className="danger" onClick={onDelete}>
            Delete
          </button>
        )}
      </div>
    </article>
  );
}
