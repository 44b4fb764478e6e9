import { describe, expect, it } from 'vitest';
import { fromDevcontainer } from './devcontainer.js';

const none = async (file: string): Promise<string> => {
  throw new Error(`no ${file}`);
};

describe('templates from devcontainer.json', () => {
  it('takes image, containerEnv and postCreateCommand (run once), and reads comments and trailing commas', async () => {
    const text = `{
      // the image
      "image": "berth/dev:bookworm-2",
      "containerEnv": { "GREETING": "hi \\"there\\"", "N": "1", },
      "postCreateCommand": "npm install",
      "forwardPorts": [3000],
    }`;
    const source = await fromDevcontainer(text, none);
    expect(source.dockerfile).toBe('FROM berth/dev:bookworm-2\nENV "GREETING"="hi \\"there\\""\nENV "N"="1"\n');
    expect(source.startCommand).toBe('[ -e /workspace/.berth-post-create-done ] || { npm install; } && touch /workspace/.berth-post-create-done');
    expect(source.notes).toEqual(['forwardPorts 3000: every port has a preview in Berth, nothing to forward']);
  });

  it('reads build.dockerfile next to it, and quotes an argv postCreateCommand', async () => {
    const source = await fromDevcontainer('{"build": {"dockerfile": "Dockerfile.dev"}, "postCreateCommand": ["echo", "it\'s"]}', async (file) => (file === 'Dockerfile.dev' ? 'FROM x\nRUN true\n' : none(file)));
    expect(source.dockerfile).toBe('FROM x\nRUN true\n');
    expect(source.startCommand).toContain(`{ 'echo' 'it'\\''s'; }`);
  });

  it('refuses what it cannot build from, saying why', async () => {
    await expect(fromDevcontainer('{"name": "x"}', none)).rejects.toThrow('neither "image" nor "build.dockerfile"');
    await expect(fromDevcontainer('{"image": ', none)).rejects.toThrow(/not valid JSON/);
    await expect(fromDevcontainer('{"build": {"dockerfile": "missing"}}', none)).rejects.toThrow('names the Dockerfile missing, which is not there');
  });
});
