import { isUuid, type Environment, type Team } from '@berth/contracts';
import { ApiError, type ApiClient } from './client.js';
import { CliError } from './context.js';

/** ENV on the command line is a name or an id; names are looked up among your own environments. */
export async function resolveEnvironment(client: ApiClient, ref: string | undefined): Promise<Environment> {
  if (!ref) throw new CliError('which environment? Give its name or id', 'list them with `berth env ls`');
  if (isUuid(ref)) {
    try {
      return await client.environment(ref);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  const match = (await client.environments()).find((e) => e.name === ref && e.status !== 'deleted');
  if (!match) throw new CliError(`no environment named "${ref}"`, 'list them with `berth env ls`');
  return match;
}

/** TEAM on the command line is a slug (or an id) of a team of the environment's organization. */
export async function resolveTeam(client: ApiClient, env: Environment, ref: string | undefined): Promise<Pick<Team, 'id' | 'slug'>> {
  if (!ref) throw new CliError('which team? Give its slug', 'list them with `berth org teams`');
  if (isUuid(ref)) return { id: ref, slug: ref };
  const org = (await client.orgs()).find((o) => o.id === env.orgId);
  if (!org) throw new CliError(`the organization of ${env.name} is not one of yours`, 'list yours with `berth org ls`');
  const team = (await client.teams(org.slug)).find((t) => t.slug.toLowerCase() === ref.toLowerCase());
  if (!team) throw new CliError(`no team "${ref}" in ${org.slug}`, 'list them with `berth org teams`');
  return team;
}
