import type { CreatedToken } from '@berth/contracts';
import { OneTimeSecret } from '../../components/OneTimeSecret.js';

/** The new token's secret, shown this once, with a copy button. */
export function TokenSecret({ token, onDismiss }: { token: CreatedToken; onDismiss: () => void }) {
  return (
    <OneTimeSecret label="New token secret" secret={token.token} testId="token-secret" onDismiss={onDismiss}>
      Token <strong>{token.name}</strong> created. Copy its secret now: <strong>it will not be shown again</strong>.
    </OneTimeSecret>
  );
}
