// Every command line the README and docs/ show exists and behaves as written.
//
// - Every `msk-privatelink ...` (or `node bin/msk-privatelink.js ...`) in a ```sh/```bash block, in
//   a usage line of a plain ``` block, in inline code, and in README's command table names a
//   command and flags the CLI defines (read from `cliProgram`, the command tree `main` runs), and
//   a value among the flag's choices where it has choices. A failure names the file and line.
// - The ones that need no AWS account and no testbed run, in-process (`main`, through
//   test/support/run-cli.ts): the runnable rule is `runnable()` below. Each must exit as the doc
//   says (`# exit N` at the end of the line; else 2 for `plan`, 0 for the rest), and a ```text
//   block right after its ```sh block is an excerpt of its output: every run of lines between
//   `...` lines must appear in what it printed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, existsSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { cliProgram } from '../../src/cli/main.js';
import { runCli } from '../support/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** README.md and every markdown file under docs/, as repository-relative paths. */
function docFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const p = path.posix.join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      return e.name.endsWith('.md') ? [p] : [];
    });
  return ['README.md', ...walk('docs')];
}

interface Block {
  lang: string;
  /** Line number (1-based) of the block's first content line. */
  line: number;
  lines: string[];
  /** The ```text block right after this one (only blank lines between), if any. */
  next?: Block;
}

function blocksOf(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Array<Block & { end: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```\s*([A-Za-z0-9_-]*)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const indent = /^\s*/.exec(lines[i] as string)?.[0].length ?? 0;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j] as string)) {
      body.push(
        (lines[j] as string).slice(Math.min(indent, /^\s*/.exec(lines[j] as string)?.[0].length ?? 0)),
      );
      j++;
    }
    blocks.push({ lang: (open[1] ?? '').toLowerCase(), line: i + 2, lines: body, end: j });
    i = j;
  }
  for (let k = 0; k + 1 < blocks.length; k++) {
    const a = blocks[k] as Block & { end: number };
    const b = blocks[k + 1] as Block & { end: number };
    const between = lines.slice(a.end + 1, b.line - 2);
    if (b.lang === 'text' && between.every((l) => l.trim() === '')) a.next = b;
  }
  return blocks;
}

/** Shell words of one command (quotes removed, no expansion); `#` starting a word starts a comment. */
function shellWords(s: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "'" || ch === '"') {
      const close = s.indexOf(ch, i + 1);
      const end = close < 0 ? s.length : close;
      cur = (cur ?? '') + s.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (ch === '#' && cur === undefined) {
      return { words, comment: s.slice(i + 1).trim() };
    } else {
      cur = (cur ?? '') + ch;
    }
  }
  if (cur !== undefined) words.push(cur);
  return { words, comment: '' };
}

/**
 * Splits a shell line at `|`, `||`, `&&` and `;` outside quotes, each part with the operator after
 * it; the comment (after a `#` that starts a word) apart.
 */
function shellParts(line: string): { parts: Array<{ text: string; then: string }>; comment: string } {
  const parts: Array<{ text: string; then: string }> = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) {
      parts.push({ text: line.slice(start, i), then: '' });
      return { parts, comment: line.slice(i + 1).trim() };
    } else if (ch === '|' || ch === ';' || (ch === '&' && line[i + 1] === '&')) {
      const op = line[i + 1] === ch ? ch + ch : ch;
      parts.push({ text: line.slice(start, i), then: op });
      i += op.length - 1;
      start = i + 1;
    }
  }
  parts.push({ text: line.slice(start), then: '' });
  return { parts, comment: '' };
}

/** One invocation of the CLI found in a doc. */
interface DocCommand {
  file: string;
  line: number;
  /** The arguments after the program name. */
  argv: string[];
  /** From a ```sh block: parsed as shell; else a usage line (flags checked only). */
  shell: boolean;
  comment: string;
  /** Its output goes to another command (`| jq`). */
  piped: boolean;
  excerpt?: Block;
  text: string;
}

const PROGRAM = /^(?:npx\s+)?(?:msk-privatelink|node\s+(?:\.\/)?bin\/msk-privatelink\.js)(?=\s|$)/;

/** The CLI's arguments in a shell part, after env assignments and `$ `; undefined when not the CLI. */
function cliArgv(part: string): string[] | undefined {
  const trimmed = part
    .trim()
    .replace(/^\$\s+/, '')
    .replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
  const m = PROGRAM.exec(trimmed);
  if (!m) return undefined;
  return shellWords(trimmed.slice(m[0].length)).words;
}

function commandsOf(file: string): DocCommand[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: DocCommand[] = [];
  for (const b of blocksOf(text)) {
    const shell = ['sh', 'bash', 'shell'].includes(b.lang);
    if (!shell && b.lang !== '') continue;
    // Logical lines: a trailing backslash continues the line.
    const logical: Array<{ line: number; text: string }> = [];
    for (let i = 0; i < b.lines.length; i++) {
      const start = i;
      let t = b.lines[i] as string;
      while (/\\\s*$/.test(t) && i + 1 < b.lines.length)
        t = t.replace(/\\\s*$/, ' ') + (b.lines[++i] as string);
      logical.push({ line: b.line + start, text: t });
    }
    const found: DocCommand[] = [];
    for (const l of logical) {
      if (shell) {
        const { parts, comment } = shellParts(l.text);
        for (const p of parts) {
          // `source <(msk-privatelink completion bash)`: the command inside.
          const argv = cliArgv(p.text.replace(/^.*<\(|\)\s*$/g, ''));
          if (argv === undefined) continue;
          const piped = p.then === '|';
          found.push({ file, line: l.line, argv, shell, comment, piped, text: l.text.trim() });
        }
      } else {
        const argv = cliArgv(l.text);
        if (argv !== undefined)
          found.push({ file, line: l.line, argv, shell, comment: '', piped: false, text: l.text.trim() });
      }
    }
    // The excerpt belongs to the block's last command.
    const last = found.at(-1);
    if (shell && last !== undefined && b.next !== undefined) last.excerpt = b.next;
    out.push(...found);
  }
  // Inline code in prose: `msk-privatelink plan --offline --config ...`.
  text.split('\n').forEach((l, i) => {
    if (/^\s*```/.test(l)) return;
    for (const m of l.matchAll(/`((?:msk-privatelink|node bin\/msk-privatelink\.js) [a-z-][^`]*)`/g)) {
      const argv = cliArgv(m[1] as string);
      if (argv !== undefined)
        out.push({ file, line: i + 1, argv, shell: false, comment: '', piped: false, text: m[1] as string });
    }
  });
  return out;
}

/** README's command table: `| \`plan --config FILE [--out FILE] ...\` | ... |`. */
function readmeTable(): DocCommand[] {
  const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const out: DocCommand[] = [];
  lines.forEach((l, i) => {
    const m = /^\|\s*`([a-z][a-z-]*(?: [a-z]+)?)((?:[^`]|\\`)*)`\s*\|/.exec(l);
    if (!m) return;
    const [name, rest] = [m[1] as string, m[2] as string];
    out.push({
      file: 'README.md',
      line: i + 1,
      argv: [...name.split(' '), ...rest.split(/\s+/).filter((w) => w.length > 0)],
      shell: false,
      comment: '',
      piped: false,
      text: `${name}${rest}`,
    });
  });
  return out;
}

/**
 * Flags named in prose where the command is implied: README's "Global options" paragraph (the
 * program's options) and the first column of docs/probe.md's Flags table (probe's).
 */
function proseFlags(): Array<{ file: string; line: number; command: string[]; flag: string }> {
  const out: Array<{ file: string; line: number; command: string[]; flag: string }> = [];
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const g = readme.findIndex((l) => l.startsWith('Global options:'));
  // The paragraph, up to the sentence after the options.
  for (let i = g; i >= 0 && i < readme.length && readme[i]?.trim() !== ''; i++) {
    const text = (readme[i] as string).split('Refresh progress')[0] as string;
    for (const m of text.matchAll(/`(--[a-z][a-z-]*)`/g))
      out.push({ file: 'README.md', line: i + 1, command: [], flag: m[1] as string });
    if (text !== readme[i]) break;
  }
  const probe = readFileSync(path.join(ROOT, 'docs/probe.md'), 'utf8').split('\n');
  const start = probe.findIndex((l) => l === '## Flags');
  for (let i = start + 1; i < probe.length && !probe[i]?.startsWith('## '); i++) {
    const cell = /^\|([^|]*(?:\\\|[^|]*)*)\|/.exec(probe[i] as string)?.[1] ?? '';
    for (const m of cell.matchAll(/(--[a-z][a-z-]*)/g))
      out.push({ file: 'docs/probe.md', line: i + 1, command: ['probe'], flag: m[1] as string });
  }
  return out;
}

interface Resolved {
  /** The command path (`plan`, `state push`); empty for the program itself. */
  path: string[];
  problems: string[];
  flags: Set<string>;
}

const longOf = (o: Option): string[] => [o.long, o.short].filter((f): f is string => f !== undefined);

/** Checks argv against the command tree: command, flags, values among choices. */
function resolve(program: Command, c: DocCommand): Resolved {
  const problems: string[] = [];
  const flags = new Set<string>();
  const globals = program.options;
  let cmd: Command = program;
  const cmdPath: string[] = [];
  const always = ['--help', '-h'];
  const words = c.shell ? c.argv : c.argv.map((w) => w.replace(/^[[(]+|[\])]+$/g, ''));
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '>' || w === '2>' || w === '>>') {
      i++;
      continue;
    }
    if (/^\d?>/.test(w)) continue;
    if (w.startsWith('-')) {
      const [flag, inline] = w.split('=', 2) as [string, string | undefined];
      if (!c.shell && !/^--?[a-zA-Z]/.test(flag)) continue;
      flags.add(flag);
      if (always.includes(flag)) continue;
      const opt = [...cmd.options, ...globals].find((o) => longOf(o).includes(flag));
      if (opt === undefined) {
        problems.push(`${cmdPath.join(' ') || '(program)'}: no flag ${flag}`);
        continue;
      }
      if (opt.required || opt.optional) {
        const value = inline ?? words[i + 1];
        if (inline === undefined) i++;
        if (
          c.shell &&
          value !== undefined &&
          opt.argChoices !== undefined &&
          !opt.argChoices.includes(value) &&
          !/^[A-Z_]+$|\$/.test(value)
        )
          problems.push(`${flag}: ${value} is not one of ${opt.argChoices.join(', ')}`);
      }
      continue;
    }
    const sub = cmd.commands.find((s) => s.name() === w || s.aliases().includes(w));
    if (sub !== undefined) {
      cmd = sub;
      cmdPath.push(w);
      continue;
    }
    if (cmd === program) {
      problems.push(`no command ${w}`);
      break;
    }
    // A positional argument (a plan file, a lock id, a shell name).
  }
  if (cmd !== program && cmd.commands.length > 0 && !flags.has('--help'))
    problems.push(
      `${cmdPath.join(' ')} needs a subcommand (${cmd.commands.map((s) => s.name()).join(', ')})`,
    );
  return { path: cmdPath, problems, flags };
}

const valueOf = (argv: string[], flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
};

/**
 * Whether a command runs here: no AWS call, no testbed, no file the repository lacks. `schema`,
 * `completion`, `--help` and `--version` always; `plan`, `cost` and `recommend` with `--offline`
 * (not `--live-prices`, which reads a cache); `iam-policy` and `export`, which make no AWS call
 * with a config naming `cluster.brokersFile`. Every `--config` must be a file in the repository.
 */
function runnable(c: DocCommand, r: Resolved): boolean {
  if (!c.shell || r.problems.length > 0) return false;
  if (c.argv.some((w) => w.includes('$') || /^[A-Z_]+$/.test(w))) return false;
  if (r.flags.has('--help') || r.flags.has('-h') || r.flags.has('--version') || r.flags.has('-V'))
    return true;
  const [cmd] = r.path;
  if (cmd === 'schema' || cmd === 'completion') return true;
  const config = valueOf(c.argv, '--config');
  const repoConfig =
    config !== undefined && existsSync(path.join(ROOT, config)) && statSync(path.join(ROOT, config)).isFile();
  if (!repoConfig) return false;
  if (cmd === 'plan' || cmd === 'cost' || cmd === 'recommend')
    return r.flags.has('--offline') && !r.flags.has('--live-prices');
  if (cmd === 'iam-policy' || cmd === 'export')
    return /^\s*brokersFile:/m.test(readFileSync(path.join(ROOT, config as string), 'utf8'));
  return false;
}

/** The exit code the doc promises: `# exit N` ending its line, else 2 for plan, 0 otherwise. */
function expectedCode(c: DocCommand, r: Resolved): number {
  const m = /(?:^|[;,(]\s*|\s)exit (\d+)\)?\s*$/.exec(c.comment);
  if (m) return Number(m[1]);
  return r.path[0] === 'plan' && !r.flags.has('--help') ? 2 : 0;
}

/** A ```text excerpt's runs of lines, split at `...` lines, trailing spaces trimmed. */
function excerptChunks(b: Block): string[] {
  const chunks: string[][] = [[]];
  for (const l of b.lines) {
    if (/^\s*(\.\.\.|…)\s*$/.test(l)) chunks.push([]);
    else (chunks.at(-1) as string[]).push(l.replace(/\s+$/, ''));
  }
  return chunks.map((c) => c.join('\n').replace(/^\n+|\n+$/g, '')).filter((c) => c.length > 0);
}

const normalise = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');

const program = cliProgram({ out: () => undefined, err: () => undefined, color: false }, () => undefined);
const all = [...docFiles().flatMap(commandsOf), ...readmeTable()];
const where = (c: DocCommand) => `${c.file}:${c.line}: ${c.text}`;

describe('docs: every documented command line', () => {
  it('finds the command lines of README.md and docs/ (the extraction works)', () => {
    assert.ok(all.length >= 40, `only ${all.length} command lines found`);
    const table = readmeTable().map((c) => c.argv.slice(0, c.argv[0] === 'state' ? 2 : 1).join(' '));
    for (const c of ['discover', 'plan', 'apply', 'cost', 'probe', 'state push', 'completion'])
      assert.ok(table.includes(c), `README's command table: no row for ${c} (${table.join(', ')})`);
    for (const f of [
      'README.md',
      'docs/operations.md',
      'docs/getting-started.md',
      'docs/examples/pattern-2.md',
    ])
      assert.ok(
        all.some((c) => c.file === f),
        `no command line found in ${f}`,
      );
  });

  it('names commands and flags the CLI defines', () => {
    const problems = all.flatMap((c) => resolve(program, c).problems.map((p) => `${where(c)}\n    ${p}`));
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it("names flags the CLI defines in README's global options and probe.md's flags table", () => {
    const flags = proseFlags();
    assert.ok(flags.filter((f) => f.file === 'README.md').length >= 4, 'README: the global options');
    assert.ok(flags.filter((f) => f.file === 'docs/probe.md').length >= 10, "probe.md's flags table");
    const problems = flags.flatMap((f) => {
      const cmd = f.command.reduce((c, name) => c.commands.find((s) => s.name() === name) ?? c, program);
      const known = [...cmd.options, ...program.options].some((o) => longOf(o).includes(f.flag));
      return known ? [] : [`${f.file}:${f.line}: ${[...f.command, f.flag].join(' ')}: no such flag`];
    });
    assert.deepEqual(problems, []);
  });

  it('the checker refuses what the CLI refuses (a bogus flag, command or value)', () => {
    const doc = (text: string): DocCommand => ({
      file: 'x.md',
      line: 1,
      argv: shellWords(text).words,
      shell: true,
      comment: '',
      piped: false,
      text,
    });
    assert.deepEqual(resolve(program, doc('plan --config a.yaml --offlien')).problems, [
      'plan: no flag --offlien',
    ]);
    assert.deepEqual(resolve(program, doc('plam --config a.yaml')).problems, ['no command plam']);
    assert.deepEqual(resolve(program, doc('cost --config a.yaml --format xml')).problems, [
      '--format: xml is not one of table, json, markdown, html, csv',
    ]);
    assert.deepEqual(
      resolve(program, doc('--region us-east-1 state push --config a.yaml --from f')).problems,
      [],
    );
    assert.ok(resolve(program, doc('state')).problems.some((p) => /needs a subcommand/.test(p)));
  });
});

describe('docs: the command lines that run without AWS', () => {
  const runs = all.filter((c) => runnable(c, resolve(program, c)));
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'mpl-docs-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('there are such lines in README.md, getting-started and every pattern example', () => {
    for (const f of [
      'README.md',
      'docs/getting-started.md',
      'docs/examples/pattern-0.md',
      'docs/examples/pattern-1.md',
      'docs/examples/pattern-2.md',
      'docs/examples/pattern-3.md',
    ])
      assert.ok(
        runs.some((c) => c.file === f),
        `no runnable command line in ${f}`,
      );
  });

  for (const c of runs) {
    it(`${c.file}:${c.line}: ${c.text.length > 90 ? `${c.text.slice(0, 87)}...` : c.text}`, async () => {
      const r = resolve(program, c);
      // Files a command writes go to a temporary folder; redirections are the shell's.
      const argv: string[] = [];
      for (let i = 0; i < c.argv.length; i++) {
        const w = c.argv[i] as string;
        if (w === '>' || w === '2>' || w === '>>') {
          i++;
          continue;
        }
        if (/^\d?>/.test(w) || w === '2>&1') continue;
        argv.push(w);
        if (w === '--out') {
          argv.push(path.join(tmp, `${c.line}-${path.basename(c.argv[i + 1] ?? 'out')}`));
          i++;
        }
      }
      const res = await runCli(argv);
      const want = expectedCode(c, r);
      assert.equal(res.code, want, `${where(c)}\nexit ${res.code}, the doc says ${want}\n${res.err}`);
      if (c.excerpt !== undefined && !c.piped) {
        const [out, err] = [normalise(res.out), normalise(res.err)];
        for (const chunk of excerptChunks(c.excerpt))
          assert.ok(
            out.includes(chunk) || err.includes(chunk),
            `${c.file}:${c.excerpt.line}: the excerpt is not in the output of ${c.text}:\n${chunk}\n--- output:\n${res.out}${res.err}`,
          );
      }
    });
  }
});
