/**
 * WebSocket close codes Berth sends (4000–4999 is the application's range).
 * Clients branch on these: a revoked credential must not be retried, nor a
 * stream of something that is gone; a refused one may be, later.
 */
export const SOCKET_CLOSE_REVOKED = 4401;
export const SOCKET_CLOSE_REVOKED_REASON = 'credentials revoked';
/** What the socket follows does not exist (any more) for the caller. */
export const SOCKET_CLOSE_NOT_FOUND = 4404;
/** Too many of these open at once (a cap per user). */
export const SOCKET_CLOSE_TOO_MANY = 4429;
