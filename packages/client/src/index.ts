export { createClient, fillPath, type BerthClient, type ClientOptions, type RouteInput, type RouteOutput } from './client.js';
export { ApiError, ContractError, errorOf, UnreachableError } from './errors.js';
export { ROUTES, SOCKETS, type RouteName, type SocketName } from '@berth/contracts';
