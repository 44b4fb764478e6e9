import { describeError } from '../../api/describe-error.js';
import { ActionError } from '../../components/Field.js';
import { useAssistantUsage } from './admin.queries.js';
import { AssistantUsageTable } from './AssistantUsageTable.js';

/** Every organization's AI assistant usage over the last 30 days, per user and UTC day. */
export function AssistantUsageSection() {
  const usage = useAssistantUsage();
  return (
    <section aria-labelledby="admin-assistant-title">
      <div className="admin-section-head">
        <h2 id="admin-assistant-title">AI assistant usage</h2>
        <span className="muted">last 30 days</span>
      </div>
      {usage.error ? (
        <ActionError message={describeError(usage.error).message} />
      ) : !usage.data ? (
        <p className="muted">Loading usage…</p>
      ) : (
        <AssistantUsageTable caption="AI assistant usage per user and day" rows={usage.data} />
      )}
    </section>
  );
}
