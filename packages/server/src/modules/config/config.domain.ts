import { z } from 'zod';
import { DEFAULT_TEMPLATE_MAP, TemplateMapSchema } from '../e2b/e2b.domain.js';

interface FlagSpec {
  default: string;
  description: string;
  secret?: boolean;
  /** Validates a new value (values are stored as text). */
  value: z.ZodType<string>;
}

const nonNegativeInt = z.string().regex(/^\d{1,9}$/, 'a whole number, 0 or more');
const price = z.string().regex(/^\d{1,9}(\.\d{1,6})?$/, 'a decimal number, 0 or more');
const urlOrEmpty = z.union([z.literal(''), z.url({ protocol: /^https?$/ })]);

/**
 * Runtime flags an admin can change without a restart. Only these exist: an
 * unknown name is a typo, not a new flag.
 */
export const CONFIG_FLAGS = {
  default_credits: {
    default: '3',
    description: 'Credits a new user gets',
    value: nonNegativeInt,
  },
  org_default_credits: {
    default: '10',
    description: "Credits a new organization's pool gets (its ceiling too; an admin raises it per organization)",
    value: nonNegativeInt,
  },
  org_default_max_environments: {
    default: '10',
    description: 'Environments a new organization may have (its ceiling too)',
    value: nonNegativeInt,
  },
  default_ai_uses_per_day: {
    default: '5',
    description: 'AI assistant requests a new user may make per UTC day (in their personal organization)',
    value: nonNegativeInt,
  },
  ai_api_url: {
    default: '',
    description: 'Base URL of an OpenAI-compatible API for the assistant (empty: assistant off)',
    value: urlOrEmpty,
  },
  ai_model: {
    default: 'gpt-4o-mini',
    description: 'Model name sent to the AI API',
    value: z.string().min(1).max(200),
  },
  ai_api_key: {
    default: '',
    description: 'API key for the AI API',
    secret: true,
    value: z.string().max(4096),
  },
  ai_token_input_price: {
    default: '0',
    description: 'US dollars per 1,000 input (prompt) tokens, for the assistant\'s usage and cost reports',
    value: price,
  },
  ai_token_output_price: {
    default: '0',
    description: 'US dollars per 1,000 output (completion) tokens, for the assistant\'s usage and cost reports',
    value: price,
  },
  e2b_templates: {
    default: DEFAULT_TEMPLATE_MAP,
    description: 'E2B template ids and where they run, as JSON: {"<template id>": {"type": "<machine type>", "image"?: "<image>"}}',
    value: z.string().refine((text) => {
      try {
        return TemplateMapSchema.safeParse(JSON.parse(text)).success;
      } catch {
        return false;
      }
    }, 'JSON mapping template ids to {"type": machine type, "image"?: image}'),
  },
} satisfies Record<string, FlagSpec>;

export type ConfigFlagName = keyof typeof CONFIG_FLAGS;

export const isConfigFlagName = (name: string): name is ConfigFlagName => Object.hasOwn(CONFIG_FLAGS, name);

export const flagSpec = (name: ConfigFlagName): FlagSpec => CONFIG_FLAGS[name];
