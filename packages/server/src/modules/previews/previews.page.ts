const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * What a visitor without access sees on a preview host: a link to open it through
 * Berth (which mints a grant if they may). A link, not a redirect: a browser that
 * refuses the preview cookie would otherwise bounce between the two for ever.
 */
export function signedOutPage(port: number, link: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Open this preview through Berth</title></head>
<body>
<h1>Port ${port} is not open to you here yet</h1>
<p>This preview opens for the people its owner shares it with, through Berth.</p>
<p><a href="${escapeHtml(link)}">Open it through Berth</a></p>
</body>
</html>
`;
}
