import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { MachineTypesService } from './machine-types.service.js';

export function registerMachineTypesRoutes(app: App, { machineTypes }: { machineTypes: MachineTypesService }): void {
  const manage = { config: { authorize: 'machine-types.manage' } } as const;
  route(app, 'machineTypes.list', {}, async (request) => ({ items: await machineTypes.list(request.ctx) }));
  route(app, 'machineTypes.create', manage, (request) => machineTypes.create(request.ctx, request.body));
  route(app, 'machineTypes.update', manage, (request) => machineTypes.update(request.ctx, request.params.name, request.body));
  route(app, 'machineTypes.delete', manage, (request) => machineTypes.remove(request.ctx, request.params.name));
}
