import { AppError } from '../errors.js';
import type { App } from './types.js';

/**
 * WebSocket upgrades reach only the routes that take them. @fastify/websocket
 * upgrades a request to any GET route (and the web app's wildcard matches every
 * path) and then closes the socket, so an upgrade anywhere answered 101. Here
 * the routes that take upgrades are marked as they are added, and an upgrade to
 * any other path is refused before anything else runs, as a plain 404
 * problem+json: the socket is never upgraded. Register before any route.
 */
export function registerWebSocketRouting(app: App): void {
  app.addHook('onRoute', (route) => {
    if (route.websocket || route.wsHandler) route.config = { ...route.config, acceptsUpgrade: true };
  });
  app.addHook('onRequest', async (request) => {
    if (request.ws && !request.routeOptions.config.acceptsUpgrade) {
      throw new AppError('not_found', `No WebSocket at ${request.method} ${request.url.split('?')[0]}`);
    }
  });
}
