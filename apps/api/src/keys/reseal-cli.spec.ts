import { RESEAL_USAGE, runResealCli } from './reseal-cli';

/** What the command line refuses before it reaches Kafka; the run itself is in test/int/key-rotation.int-spec.ts. */
describe('reseal command line', () => {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runResealCli(argv, {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints its usage with --help', async () => {
    expect(await run('--help')).toEqual({ code: 0, out: RESEAL_USAGE, err: '' });
  });

  it.each([
    [['--batch', '0'], /--batch must be an integer from 1 to 1000/],
    [['--batch', 'many'], /--batch must be an integer/],
    [['--force'], /Unknown option '--force'/],
  ])('refuses %j with exit 64, naming the flag', async (argv, message) => {
    const { code, err } = await run(...argv);
    expect(code).toBe(64);
    expect(err).toMatch(message);
    expect(err).toContain('usage:');
  });
});
