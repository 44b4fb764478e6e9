/**
 * WebSocket close codes Berth sends (4000–4999 is the application's range).
 * Clients branch on these: a revoked credential must not be retried.
 */
export const SOCKET_CLOSE_REVOKED = 4401;
export const SOCKET_CLOSE_REVOKED_REASON = 'credentials revoked';
