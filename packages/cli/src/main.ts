const USAGE = `Usage: berth <command>

Commands:
  server         Run the Berth server (API and web app) on BERTH_HOST:BERTH_PORT
  build-image    Build the default development image (Debian, via debootstrap) if missing

Configuration is read from environment variables; see the README.`;

export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'server') {
    const { runServer } = await import('@berth/server');
    try {
      await runServer();
    } catch (err) {
      // Startup problems (configuration, a busy port or data directory) are the operator's to fix: say what, not where.
      process.stderr.write(`berth server: ${(err as Error).message}\n`);
      return 1;
    }
    return -1; // keeps running until a signal
  }
  if (command === 'build-image') {
    const { buildDefaultImage } = await import('@berth/server');
    try {
      await buildDefaultImage(process.env, (line) => process.stdout.write(`${line}\n`));
      return 0;
    } catch (err) {
      process.stderr.write(`berth build-image: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stderr.write(`berth: unknown command "${command}"\n\n${USAGE}\n`);
  return 1;
}
