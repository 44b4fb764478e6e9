import { ActionError } from '../../components/Field.js';
import { OneTimeSecret } from '../../components/OneTimeSecret.js';
import { useCreateWebhook } from './apps.queries.js';

/**
 * The push webhook: a git host posts to its URL, signed with its secret, and a push to the app's
 * branch deploys it. The secret is shown once, when it is made; making another replaces it.
 */
export function WebhookSection({ appId }: { appId: string }) {
  const create = useCreateWebhook(appId);
  const made = create.data;
  return (
    <section className="card apps-section" aria-labelledby="app-webhook-title">
      <h2 id="app-webhook-title">Webhook</h2>
      <p className="muted apps-small">
        For GitHub, Gitea or Forgejo: push events, content type <span className="mono">application/json</span>. Making a webhook again replaces the old one, whose secret
        then stops working.
      </p>
      {made ? (
        <div className="apps-webhook">
          <div className="field">
            <span className="hint">Payload URL</span>
            <code className="secret-reveal-value" aria-label="Webhook URL">
              {made.url}
            </code>
          </div>
          <OneTimeSecret label="Webhook secret" secret={made.secret} onDismiss={() => create.reset()}>
            The webhook&apos;s secret: give it to the git host now, <strong>it will not be shown again</strong>.
          </OneTimeSecret>
        </div>
      ) : (
        <div className="row">
          <button type="button" disabled={create.isPending} onClick={() => create.mutate()}>
            {create.isPending ? 'Making…' : 'Create webhook'}
          </button>
        </div>
      )}
      <ActionError message={create.error?.message} />
    </section>
  );
}
