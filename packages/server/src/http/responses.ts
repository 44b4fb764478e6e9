import { ProblemSchema } from '@berth/contracts';
import type { z } from 'zod';

/** A route's success responses plus the problem+json shape every error takes. */
export const responses = <T extends Record<number, z.ZodType>>(ok: T) => ({
  ...ok,
  '4xx': ProblemSchema,
  '5xx': ProblemSchema,
});
