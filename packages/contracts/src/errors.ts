import { z } from 'zod';

/**
 * Stable, machine-readable error codes. Clients branch on these, never on
 * titles or details, so a code once published is never renamed.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  invalid_json: { status: 400, title: 'Malformed JSON body' },
  path_outside_workspace: { status: 400, title: 'Path outside the workspace' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf_failed: { status: 403, title: 'Cross-site request refused' },
  wrong_password: { status: 403, title: 'The current password is wrong' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  revision_conflict: { status: 412, title: 'The file changed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  machine_type_not_allowed: { status: 403, title: 'Machine type not allowed' },
  quota_inactive: { status: 403, title: 'Quota inactive' },
  insufficient_credits: { status: 409, title: 'Not enough credits' },
  environment_limit: { status: 409, title: 'Environment limit reached' },
  member_credit_cap: { status: 409, title: 'Member credit cap reached' },
  quota_above_ceiling: { status: 403, title: 'Above the quota ceiling' },
  token_scope: { status: 403, title: "The token's scope does not allow this" },
  environment_not_running: { status: 409, title: 'Environment not running' },
  terminal_limit: { status: 429, title: 'Too many terminals' },
  socket_limit: { status: 429, title: 'Too many open connections' },
  process_limit: { status: 429, title: 'Too many running processes' },
  file_too_large: { status: 413, title: 'File too large' },
  image_not_allowed: { status: 403, title: 'Only administrators name images' },
  organization_suspended: { status: 403, title: 'Organization suspended' },
  organization_not_active: { status: 409, title: 'Organization not active' },
  runtime_unavailable: { status: 503, title: 'Runtime unavailable' },
  runtime_class_unavailable: { status: 409, title: 'Runtime class not offered by the engine' },
  port_unreachable: { status: 502, title: 'Nothing answers on that port' },
  app_unavailable: { status: 503, title: 'App unavailable' },
  assistant_limit: { status: 429, title: 'Assistant requests used up for today' },
  assistant_unavailable: { status: 503, title: 'Assistant not configured' },
  assistant_provider_error: { status: 502, title: 'The AI provider failed' },
  source_not_allowed: { status: 403, title: 'That source is not allowed here' },
  nothing_to_roll_back_to: { status: 409, title: 'No such release to roll back to' },
  confirmation_required: { status: 409, title: 'Confirm by naming what goes' },
  restore_failed: { status: 422, title: 'The backup could not be restored' },
  not_a_swarm: { status: 409, title: 'The engine is in no swarm' },
  internal_error: { status: 500, title: 'Internal server error' },
  not_ready: { status: 503, title: 'Service not ready' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const problemTypeFor = (code: string): string => `urn:berth:problem:${code}`;

export const FieldErrorSchema = z.object({
  field: z.string().describe('Dotted path of the offending field, prefixed by where it was sent (body, query, params, headers)'),
  message: z.string(),
});

/** RFC 9457 problem details, with Berth's stable `code`. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;
export type FieldError = z.infer<typeof FieldErrorSchema>;
