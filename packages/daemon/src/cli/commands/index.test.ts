import { Command, Help } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../main.js';
import { main } from '../main.js';
import { CLI_VERSION, programHelp, PROGRAM_DESCRIPTION } from '../programHelp.js';
import { commandEntries, type CommandEntry } from './index.js';

const quietIo = (): CliIo & { text: string } => {
  const io = { text: '', out: (s: string) => void (io.text += s), err: (s: string) => void (io.text += s) };
  return io;
};

/** The program as the eager CLI built it: every command's module loaded and registered on one commander program. */
async function eagerProgram(): Promise<Command> {
  const program = new Command('sluice').description(PROGRAM_DESCRIPTION).version(CLI_VERSION);
  for (const entry of commandEntries) (await entry.load())(program, quietIo());
  return program;
}

describe('the lazy command registry', () => {
  it('says for every command what its module registers: name, usage and description', async () => {
    const help = new Help();
    for (const entry of commandEntries) {
      const program = new Command('sluice');
      (await entry.load())(program, quietIo());
      expect(program.commands.map((c) => c.name()), entry.name).toEqual([entry.name]);
      const command = program.commands[0]!;
      expect(help.subcommandTerm(command), entry.name).toBe(`${entry.name} ${entry.usage}`.trimEnd());
      expect(command.description(), entry.name).toBe(entry.description);
    }
    expect(new Set(commandEntries.map((e) => e.name)).size).toBe(commandEntries.length);
  });

  it('prints `sluice --help` exactly as commander prints it for the fully loaded program', async () => {
    const program = await eagerProgram();
    for (const helpWidth of [80, 120, 50]) {
      program.configureHelp({ helpWidth });
      expect(programHelp(commandEntries, helpWidth), `width ${helpWidth}`).toBe(program.helpInformation());
    }
  });

  it('loads no command for --help, -h, help and --version, and only the named command for CMD --help', async () => {
    const loads = new Map<string, ReturnType<typeof vi.fn>>();
    const entries: CommandEntry[] = commandEntries.map((entry) => {
      const load = vi.fn(entry.load);
      loads.set(entry.name, load);
      return { ...entry, load };
    });
    const loaded = (): string[] => [...loads].filter(([, load]) => load.mock.calls.length > 0).map(([name]) => name);
    for (const argv of [['--help'], ['-h'], ['help'], ['--version'], ['-V']]) {
      const io = quietIo();
      expect(await main(argv, io, entries), argv.join(' ')).toBe(0);
      expect(io.text.length).toBeGreaterThan(0);
    }
    expect(loaded()).toEqual([]);
    const io = quietIo();
    expect(await main(['audit', '--help'], io, entries)).toBe(0);
    expect(io.text).toMatch(/^Usage: sluice audit \[options\] \[id\]/);
    expect(io.text).toContain('--at <time>');
    expect(loaded()).toEqual(['audit']);
    expect(await main(['help', 'replay'], quietIo(), entries)).toBe(0);
    expect(loaded().sort()).toEqual(['audit', 'replay']);
  });

  it('answers an unknown command as commander does, with a suggestion and exit 2, loading nothing', async () => {
    const load = vi.fn(async () => {
      throw new Error('must not load');
    });
    const entries = commandEntries.map((entry) => ({ ...entry, load }));
    const io = quietIo();
    expect(await main(['audt'], io, entries)).toBe(2);
    expect(io.text).toContain("error: unknown command 'audt'");
    expect(io.text).toContain('(Did you mean audit?)');
    const bare = quietIo();
    expect(await main([], bare, entries)).toBe(2);
    expect(bare.text).toMatch(/^Usage: sluice \[options\] \[command\]/);
    expect(load).not.toHaveBeenCalled();
  });
});
