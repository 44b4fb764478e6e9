import type { TemplateSummary } from '@berth/contracts';
import { Modal } from '../../components/Modal.js';
import { useTemplate } from './templates.queries.js';
import './templates.css';

/** A template's files, each one expandable to its content. */
export function TemplateFilesDialog({ template, onClose }: { template: TemplateSummary | null; onClose: () => void }) {
  const full = useTemplate(template?.id ?? null);
  return (
    <Modal open={template !== null} title={template ? `Files of ${template.name}` : 'Files'} onClose={onClose} wide>
      <div className="modal-body">
        {full.isPending && <p className="muted">Loading files…</p>}
        {full.error && (
          <p role="alert" className="error">
            Could not load the files: {full.error.message}
          </p>
        )}
        {full.data?.dockerfile && (
          <details open>
            <summary>
              <span className="mono">Dockerfile</span>
              <span className="muted"> · builds {full.data.image}</span>
            </summary>
            <pre className="file-content" tabIndex={0} data-testid="template-dockerfile">
              {full.data.dockerfile}
            </pre>
          </details>
        )}
        {full.data && full.data.files.length === 0 && <p className="muted">This template has no files.</p>}
        {full.data && full.data.files.length > 0 && (
          <ul className="template-files" aria-label="Template files">
            {full.data.files.map((file, i) => (
              <li key={file.path}>
                <details open={i === 0}>
                  <summary>
                    <span className="mono">{file.path}</span>
                    <span className="muted"> · mode {file.mode} · {file.content.length} chars</span>
                  </summary>
                  <pre className="file-content" tabIndex={0}>
                    {file.content}
                  </pre>
                </details>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Modal>
  );
}
