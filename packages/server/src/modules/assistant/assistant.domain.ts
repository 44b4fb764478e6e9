/**
 * The assistant's arithmetic and text rules, pure: what a turn costs, how much
 * of a tool's output the model sees, what an exact edit does, whose limit
 * applies and when a day starts.
 */

/** Prices are US dollars per 1,000 tokens (the ai_token_*_price flags). */
export interface Prices {
  input: number;
  output: number;
}

/** Dollars for one turn's tokens, rounded to a millionth of a cent so sums stay exact in numeric columns. */
export function costUsd(promptTokens: number, completionTokens: number, prices: Prices): number {
  const raw = (promptTokens / 1000) * prices.input + (completionTokens / 1000) * prices.output;
  return Math.round(raw * 1e8) / 1e8;
}

/** A price flag's text as a number (the flag's own validation allows only plain decimals). */
export function parsePrice(text: string): number {
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

/** At most `maxBytes` of UTF-8 text, cut on a character boundary, and whether anything was cut. */
export function capText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Back up over continuation bytes so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}

export type EditOutcome = { ok: true; content: string } | { ok: false; reason: string };

/** Replaces `oldText` with `newText` where it occurs exactly once; no match or several is a refusal, not a guess. */
export function exactEdit(content: string, oldText: string, newText: string): EditOutcome {
  if (oldText === '') return { ok: false, reason: 'old_text is empty' };
  const first = content.indexOf(oldText);
  if (first === -1) return { ok: false, reason: 'old_text was not found in the file' };
  if (content.indexOf(oldText, first + 1) !== -1) {
    return { ok: false, reason: 'old_text occurs more than once; include more surrounding lines so it matches exactly one place' };
  }
  return { ok: true, content: content.slice(0, first) + newText + content.slice(first + oldText.length) };
}

/** Lines `offset`..`offset + limit - 1` (1-based) of a text, numbered, and whether more follow. */
export function lineRange(content: string, offset: number, limit: number): { text: string; more: boolean; total: number } {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const start = Math.max(1, offset);
  const slice = lines.slice(start - 1, start - 1 + limit);
  const text = slice.map((line, i) => `${String(start + i).padStart(6)}\t${line}`).join('\n');
  return { text, more: start - 1 + limit < lines.length, total: lines.length };
}

/** Whose limit applies in an organization: the member's own, else the organization's; a personal one uses its user's quota. */
export function usesPerDay(org: { personal: boolean; orgDefault: number | null; memberOverride: number | null; personalQuota: number | null }): number {
  if (org.personal) return org.personalQuota ?? 0;
  return org.memberOverride ?? org.orgDefault ?? 0;
}

/** The start of the UTC day `now` falls in: the daily limit counts from here. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** A conversation's title: the first words of its first message. */
export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** A glob (`*`, `**`, `?`) as a regular expression over workspace-relative paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${out}$`);
}
