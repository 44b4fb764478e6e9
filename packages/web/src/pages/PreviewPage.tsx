import type { PreviewGrant } from '@berth/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api, ApiError, urlPath } from '../api/client.js';

/**
 * Opens a port's preview on its own origin: mints a one-minute, single-use grant
 * here, on Berth's origin, then posts it to the preview host as a form, which
 * sets that host's own cookie and lands on the path asked for. The grant travels
 * in a POST body, never in a URL; the submit is done here, not by an inline script.
 */
export function PreviewPage() {
  const { id = '', port = '' } = useParams();
  const [search] = useSearchParams();
  const [grant, setGrant] = useState<PreviewGrant | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const form = useRef<HTMLFormElement>(null);
  // Development's StrictMode runs effects twice; a grant is single-use, so ask once.
  const asked = useRef(false);

  useEffect(() => {
    if (asked.current) return;
    asked.current = true;
    api<PreviewGrant>(urlPath`/environments/${id}/ports/${port}/grant`, { method: 'POST' }).then(setGrant, setError);
  }, [id, port]);

  useEffect(() => {
    if (grant) form.current?.submit();
  }, [grant]);

  if (error) {
    const missing = error instanceof ApiError && (error.status === 404 || error.status === 400);
    return (
      <section className="page">
        <h1>{missing ? 'This preview is not open to you' : 'Could not open the preview'}</h1>
        <p className="error" role="alert">
          {missing ? 'It does not exist, or its owner has not shared it with you.' : error.message}
        </p>
        <Link to="/">Back to environments</Link>
      </section>
    );
  }
  return (
    <section className="page" aria-busy="true">
      <h1>Opening port {port}…</h1>
      {grant && (
        <form ref={form} method="post" action={grant.action}>
          <input type="hidden" name="grant" value={grant.grant} />
          <input type="hidden" name="path" value={search.get('path') ?? '/'} />
          <button type="submit">Continue to the preview</button>
        </form>
      )}
    </section>
  );
}
