import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The first code block of a language under a README heading (up to the next
 * heading of level 2 or 3): what the README promises works as written.
 */
export async function readmeBlock(heading: string, lang: 'sh' | 'ts' | 'js' | 'caddyfile'): Promise<string> {
  const readme = await readFile(path.resolve('README.md'), 'utf8');
  const section = readme.split(`${heading}\n`)[1]?.split(/\n#{2,3} /)[0];
  const block = section && new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section)?.[1];
  if (!block) throw new Error(`the README has no ${lang} block under "${heading}"`);
  return block;
}
