import type { FastifyRequest } from 'fastify';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import type { LiveConnections } from '../auth/live-connections.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FilesService } from '../files/files.service.js';
import type { Sandbox } from './e2b.repo.js';
import type { E2bService } from './e2b.service.js';
import type { EnvdFiles } from './envd.files.js';
import type { EnvdProcesses } from './envd.processes.js';

/**
 * What every part of the in-sandbox (envd) API shares: its dependencies, the
 * route constraint that keeps its routes to requests naming a sandbox, and the
 * request's sandbox. A module of its own, so the route files depend on it and
 * not on each other.
 */

export interface EnvdDeps {
  e2b: Pick<E2bService, 'openedBy'>;
  processes: EnvdProcesses;
  /** The sandbox's filesystem (envd's view: any path in the container). */
  files: EnvdFiles;
  announce: FilesService['announce'];
  audit: Pick<AuditService, 'record'>;
  environments: Pick<EnvironmentsService, 'noteActivity'>;
  /** Process streams are registered here, so they end when the sandbox's owner is deactivated. */
  live: Pick<LiveConnections, 'open'>;
  maxFileBytes: number;
  /** Where a port inside a sandbox is reached, how long a server starting there is waited for, and how long it has to answer. */
  endpoint: RuntimeDriver['endpoint'];
  portWaitMs: number;
  connectTimeoutMs: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** On in-sandbox (envd) routes: the sandbox the access token opened. */
    sandbox: Sandbox;
  }
}

/** Route option for envd routes: only requests with an E2b-Sandbox-Id header reach them. */
export const envdConstraint = { e2bSandbox: 'yes' };

/** A change made through the sandbox's API, announced like one made through Berth's files API. */
export type Announce = (request: FastifyRequest, action: string, event: 'file.changed' | 'file.deleted' | 'file.moved', data: Record<string, string>) => Promise<void>;
