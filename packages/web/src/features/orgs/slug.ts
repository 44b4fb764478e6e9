/** A slug suggested from a name (an organization's, a team's): lowercase words joined by "-", within the slug rules. */
export const slugOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[-_.]+|[-_.]+$/g, '')
    .slice(0, 39);
