import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../api/client.js';
import { useSwitchOrg } from '../api/orgs.queries.js';
import { useAcceptInvitation } from '../features/orgs/orgs.queries.js';

/**
 * Where an invitation link lands: /invitations/accept#<secret>. The secret rides
 * in the fragment, which never reaches a server log; once signed in, it is
 * posted, and the app switches to the organization joined.
 */
export function AcceptInvitationPage() {
  const accept = useAcceptInvitation();
  const switchTo = useSwitchOrg();
  const token = location.hash.slice(1);
  // Development's StrictMode runs effects twice; a link works once, so post it once.
  const asked = useRef(false);

  useEffect(() => {
    if (asked.current || !token) return;
    asked.current = true;
    // Replacing the entry drops the spent secret from the history.
    accept.mutate({ token }, { onSuccess: (org) => switchTo(org, { replace: true }) });
  }, [accept, switchTo, token]);

  if (!token || accept.isError) {
    const spent = accept.error instanceof ApiError && accept.error.status === 404;
    return (
      <section className="page">
        <h1>Could not join the organization</h1>
        <p className="error" role="alert">
          {!token ? 'This link has no invitation in it: copy the whole link.' : spent ? 'This invitation link was used already, expired, or withdrawn. Ask for a new one.' : accept.error?.message}
        </p>
        <Link to="/">Back to environments</Link>
      </section>
    );
  }
  return (
    <section className="page" aria-busy="true">
      <h1>Joining the organization…</h1>
    </section>
  );
}
