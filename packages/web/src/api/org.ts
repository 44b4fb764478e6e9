/**
 * The organization the web app acts in: sent as the Berth-Org header on every
 * API call (the server then lists and makes things there). Kept per browser;
 * absent means the user's personal organization.
 */
const KEY = 'berth.org';
export const ORG_HEADER = 'Berth-Org';

export function currentOrg(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setCurrentOrg(slug: string | null): void {
  if (slug) localStorage.setItem(KEY, slug);
  else localStorage.removeItem(KEY);
}

