import { CreateUserBodySchema, IdParamsSchema, MeSchema, UpdateUserBodySchema, UserListSchema, UserSchema } from '@berth/contracts';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { UsersService } from './users.service.js';

export function registerUsersRoutes(app: App, { users }: { users: UsersService }): void {
  app.get('/me', { schema: { tags: ['users'], summary: 'The caller, with their quota and usage', response: responses({ 200: MeSchema }) } }, (request) =>
    users.me(request.ctx),
  );

  app.post(
    '/users',
    { config: { authorize: 'users.manage' }, schema: { tags: ['users'], summary: 'Create a user (admin)', body: CreateUserBodySchema, response: responses({ 201: UserSchema }) } },
    async (request, reply) => reply.code(201).send(await users.create(request.ctx, request.body)),
  );

  app.get('/users', { config: { authorize: 'users.manage' }, schema: { tags: ['users'], summary: 'List users (admin)', response: responses({ 200: UserListSchema }) } }, async (request) => ({
    items: await users.list(request.ctx),
  }));

  app.get(
    '/users/:id',
    { config: { authorize: 'users.manage' }, schema: { tags: ['users'], summary: 'One user (admin)', params: IdParamsSchema, response: responses({ 200: UserSchema }) } },
    (request) => users.get(request.ctx, request.params.id),
  );

  app.patch(
    '/users/:id',
    {
      config: { authorize: 'users.manage' },
      schema: {
        tags: ['users'],
        summary: 'Change a user (admin); deactivating signs them out everywhere',
        params: IdParamsSchema,
        body: UpdateUserBodySchema,
        response: responses({ 200: UserSchema }),
      },
    },
    (request) => users.update(request.ctx, request.params.id, request.body),
  );
}
