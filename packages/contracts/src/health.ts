import { z } from 'zod';
import { RuntimeClassSchema } from './nodes.js';

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({
  status: z.literal('ready'),
  database: z.string(),
  runtimeClasses: z.array(RuntimeClassSchema).describe('The runtime classes environments can be created with now (`sandboxed`: gVisor is registered with the engine)'),
});
