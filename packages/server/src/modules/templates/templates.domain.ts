import { createHash } from 'node:crypto';

/**
 * The image a template's Dockerfile builds: named by the template, tagged with the Dockerfile's
 * hash. The tag is the template's version: the same Dockerfile is built once (the engine has it),
 * a changed one is a new image, and an environment keeps the version it was created with.
 */
export const templateImage = (templateId: string, dockerfile: string): string =>
  `berth/template-${templateId}:${createHash('sha256').update(dockerfile).digest('hex').slice(0, 12)}`;

/** The image a template's environments run: its Dockerfile's build, or null for the machine type's. */
export const imageOf = (t: { id: string; dockerfile: string | null }): string | null => (t.dockerfile ? templateImage(t.id, t.dockerfile) : null);
