import { CreateMachineTypeBodySchema, MachineTypeListSchema, MachineTypeParamsSchema, MachineTypeSchema, UpdateMachineTypeBodySchema } from '@berth/contracts';
import { z } from 'zod';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { MachineTypesService } from './machine-types.service.js';

export function registerMachineTypesRoutes(app: App, { machineTypes }: { machineTypes: MachineTypesService }): void {
  const tags = ['machine-types'];
  app.get('/machine-types', { schema: { tags, summary: 'Machine types the caller may use (admins: all)', response: responses({ 200: MachineTypeListSchema }) } }, async (request) => ({
    items: await machineTypes.list(request.ctx),
  }));

  app.post(
    '/machine-types',
    { config: { authorize: 'machine-types.manage' }, schema: { tags, summary: 'Create a machine type (admin)', body: CreateMachineTypeBodySchema, response: responses({ 201: MachineTypeSchema }) } },
    async (request, reply) => reply.code(201).send(await machineTypes.create(request.ctx, request.body)),
  );

  app.patch(
    '/machine-types/:name',
    { config: { authorize: 'machine-types.manage' }, schema: { tags, summary: 'Change a machine type (admin)', params: MachineTypeParamsSchema, body: UpdateMachineTypeBodySchema, response: responses({ 200: MachineTypeSchema }) } },
    (request) => machineTypes.update(request.ctx, request.params.name, request.body),
  );

  app.delete(
    '/machine-types/:name',
    { config: { authorize: 'machine-types.manage' }, schema: { tags, summary: 'Delete a machine type no environment uses (admin)', params: MachineTypeParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await machineTypes.remove(request.ctx, request.params.name);
      return reply.code(204).send(null);
    },
  );
}
