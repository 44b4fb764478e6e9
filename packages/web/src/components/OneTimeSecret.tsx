import { useRef, useState, type ReactNode } from 'react';

type Props = {
  /** Names the region, for screen readers and tests. */
  label: string;
  /** What the secret is; says it will not be shown again. */
  children: ReactNode;
  secret: string;
  testId?: string;
  onDismiss: () => void;
};

/** A secret the server shows this once (a new token, an invitation link), with a copy button. */
export function OneTimeSecret({ label, children, secret, testId, onDismiss }: Props) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const value = useRef<HTMLElement>(null);

  const copy = async () => {
    try {
      // The clipboard API exists only in secure contexts (https or localhost).
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
      const el = value.current;
      if (el) getSelection()?.selectAllChildren(el);
    }
  };

  return (
    <div className="secret-reveal" role="region" aria-label={label}>
      <p className="secret-reveal-title">{children}</p>
      <div className="row secret-reveal-row">
        <code ref={value} className="secret-reveal-value" data-testid={testId} tabIndex={0}>
          {secret}
        </code>
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDismiss}>
          Done
        </button>
      </div>
      <p className="muted secret-reveal-status" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Could not reach the clipboard: the secret is selected, press Ctrl+C.' : ''}
      </p>
    </div>
  );
}
