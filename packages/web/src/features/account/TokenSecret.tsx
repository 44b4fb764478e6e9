import type { CreatedToken } from '@berth/contracts';
import { useRef, useState } from 'react';

/** The new token's secret, shown this once, with a copy button. */
export function TokenSecret({ token, onDismiss }: { token: CreatedToken; onDismiss: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const secret = useRef<HTMLElement>(null);

  const copy = async () => {
    try {
      // The clipboard API exists only in secure contexts (https or localhost).
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(token.token);
      setCopied('yes');
    } catch {
      setCopied('failed');
      const el = secret.current;
      if (el) getSelection()?.selectAllChildren(el);
    }
  };

  return (
    <div className="token-secret" role="region" aria-label="New token secret">
      <p className="token-secret-title">
        Token <strong>{token.name}</strong> created. Copy its secret now: <strong>it will not be shown again</strong>.
      </p>
      <div className="row token-secret-row">
        <code ref={secret} className="token-secret-value" data-testid="token-secret" tabIndex={0}>
          {token.token}
        </code>
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDismiss}>
          Done
        </button>
      </div>
      <p className="muted token-copy-status" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Could not reach the clipboard: the secret is selected, press Ctrl+C.' : ''}
      </p>
    </div>
  );
}
