// What a new user tripped over: --version, shell completion, `| head`, --out to a missing folder,
// tables wider than the terminal, and an empty config file.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { completionScript } from '../../src/cli/completion.js';
import { outputNotWritable, writeOutputFile } from '../../src/cli/io.js';
import { fitTable, layoutWidth, wrapText } from '../../src/text-layout.js';
import { estimateCost, type CostReport } from '../../src/cost/estimate.js';
import { renderCost, usd } from '../../src/cost/render.js';
import { MplError } from '../../src/errors.js';
import { emptyResult, finishReport, renderTable } from '../../src/probe/shape.js';
import type { BrokerResult, ProbeReport } from '../../src/probe/types.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';
import { runCli } from '../support/run-cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/msk-privatelink.js');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (s: string) => s.replace(ANSI, '');

/** The commands `--help` lists (commander's own `help` included). */
async function helpCommands(): Promise<string[]> {
  const r = await runCli(['--help']);
  const section = r.out.split(/\nCommands:\n/)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1] as string);
}

describe('cli: --version', () => {
  it("prints package.json's version and exits 0", async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `${pkg.version}\n`);
      assert.equal(r.err, '');
    }
    assert.match((await runCli(['--help'])).out, /-V, --version/);
  });
});

describe('cli: completion', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-completion-'));
  });

  /** Sources a bash script and runs its completion function for `words` (the last is completed). */
  function bashComplete(script: string, words: string[]): string[] {
    const fn = /^complete .*-F (\S+) /m.exec(script)?.[1];
    assert.ok(fn, 'the script registers a completion function');
    const r = spawnSync(
      'bash',
      [
        '-c',
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; ' +
          `${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        path.join(dir, 'completion.bash'),
        ...words,
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  it('bash: completes commands, flags and their values', async () => {
    const r = await runCli(['completion', 'bash']);
    assert.equal(r.code, 0, r.err);
    await writeFile(path.join(dir, 'completion.bash'), r.out);
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'pl']), ['plan']);
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'plan', '--c']), ['--config']);
    // Every command --help lists, and nothing else.
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', '']).sort(), (await helpCommands()).sort());
    // Global options before the command, and after it.
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', '--region', 'us-east-2', 'cos']), ['cost']);
    assert.ok(bashComplete(r.out, ['msk-privatelink', 'plan', '--']).includes('--region'));
    // Choices of an option and of an argument; file names for <file>.
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'cost', '--format', '']).sort(), [
      'csv',
      'html',
      'json',
      'markdown',
      'table',
    ]);
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'probe', '--listener', 's']), ['sasl_scram']);
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'completion', '']), ['bash', 'zsh']);
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'cost', '--config', 'plans/pattern1-o']), [
      'plans/pattern1-one-consumer.yaml',
    ]);
    // A --config value is not taken for apply's [plan-file] argument.
    assert.deepEqual(bashComplete(r.out, ['msk-privatelink', 'apply', '--config', 'x.yaml', 'pack']).sort(), [
      'package-lock.json',
      'package.json',
    ]);
  });

  it('is generated from the program: a new command and flag complete at once', async () => {
    const program = new Command('tool').option('--loud', 'louder');
    program
      .command('frobnicate')
      .description('a command that does not exist')
      .option('--widget-file <file>', 'a widget')
      .addOption(new Option('--mode <mode>', 'how').choices(['fast', 'slow']))
      .addOption(new Option('--secret', 'hidden').hideHelp());
    const script = completionScript(program, 'bash');
    await writeFile(path.join(dir, 'completion.bash'), script);
    assert.deepEqual(bashComplete(script, ['tool', 'fro']), ['frobnicate']);
    assert.deepEqual(bashComplete(script, ['tool', 'frobnicate', '--w']), ['--widget-file']);
    assert.deepEqual(bashComplete(script, ['tool', 'frobnicate', '--mode', 'f']), ['fast']);
    assert.deepEqual(bashComplete(script, ['tool', 'frobnicate', '--s']), []);
    assert.ok(completionScript(program, 'zsh').includes("'frobnicate:a command that does not exist'"));
  });

  it('zsh: declares every command and their flags, and zsh reads it', async () => {
    const r = await runCli(['completion', 'zsh']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^#compdef msk-privatelink\n/);
    const commands = await helpCommands();
    assert.ok(commands.length >= 10, commands.join(' '));
    for (const c of commands) assert.ok(r.out.includes(`\n    '${c}:`), `zsh declares ${c}`);
    for (const c of commands) assert.match(r.out, new RegExp(`\\n {8}${c}\\)\\n {10}_arguments`), c);
    assert.ok(r.out.includes("'--config=[config file (YAML or JSON)]:file:_files'"));
    assert.ok(r.out.includes("'--format=[output format]:format:(table json markdown html csv)'"));
    const zsh = spawnSync('sh', ['-c', 'command -v zsh'], { encoding: 'utf8' }).stdout.trim();
    if (zsh !== '') {
      const file = path.join(dir, '_msk-privatelink');
      await writeFile(file, r.out);
      const check = spawnSync(zsh, ['-n', file], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
    }
  });

  it('refuses a shell it does not know', async () => {
    const r = await runCli(['completion', 'fish']);
    assert.equal(r.code, 1);
    assert.match(r.err, /Allowed choices are bash, zsh/);
  });
});

describe('cli: a reader that stops early (| head -1)', function () {
  this.timeout(60_000);

  /** Runs node with `args`, reads stdout up to its first line, then closes the pipe. */
  async function firstLineThenClose(
    args: string[],
  ): Promise<{ first: string; code: number | null; signal: string | null; err: string }> {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => void (err += d));
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (code, signal) => resolve([code, signal])),
    );
    const lines = createInterface({ input: child.stdout });
    // No line at all (the command failed): '' and what it said on stderr.
    const first = await new Promise<string>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(''));
    });
    lines.close();
    child.stdout.destroy();
    const [code, signal] = await exited;
    return { first, code, signal, err };
  }

  it('plan | head -1 through bin/msk-privatelink.js: one line, exit 0, nothing on stderr', async function () {
    if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) this.skip(); // bin runs the build (npm run build)
    // Far more output than a pipe holds, so the writer is still writing when the reader leaves.
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-epipe-'));
    const config = parseYaml(
      await readFile(path.join(ROOT, 'plans/pattern1-three-consumers.yaml'), 'utf8'),
    ) as {
      cluster: { brokersFile: string };
      consumers: Array<Record<string, unknown>>;
    };
    config.cluster.brokersFile = path.join(ROOT, 'plans/inventories/orders-6-brokers.json');
    const base = config.consumers[2] as Record<string, unknown>;
    config.consumers = Array.from({ length: 120 }, (_, i) => ({
      ...base,
      name: `team${i}`,
      account: String(500000000000 + i),
      vpcId: `vpc-0c${i.toString(16).padStart(6, '0')}`,
    }));
    const file = path.join(dir, 'big.json');
    await writeFile(file, JSON.stringify(config));
    const r = await firstLineThenClose([BIN, 'plan', '--offline', '--no-color', '--config', file]);
    assert.equal(r.err, '');
    assert.equal(r.first, 'msk-privatelink will perform the following actions:');
    assert.equal(r.signal, null);
    assert.equal(r.code, 0);
  });

  it('processIo stops writing once the pipe is closed, without an EPIPE crash', async () => {
    const io = path.join(ROOT, 'src/cli/io.ts');
    const script = `
      import { isStdoutClosed, processIo } from ${JSON.stringify(io)};
      const io = processIo(false);
      io.out('first\\n');
      const chunk = 'x'.repeat(65536) + '\\n';
      let i = 0;
      for (; i < 5000 && !isStdoutClosed(); i++) {
        io.out(chunk);
        await new Promise((r) => setTimeout(r, 2));
      }
      for (let j = 0; j < 10; j++) io.out(chunk);
      await new Promise((r) => setTimeout(r, 50));
      io.err(\`closed=\${isStdoutClosed()}\\n\`);`;
    const r = await firstLineThenClose(['--import', 'tsx', '--input-type=module', '-e', script]);
    assert.equal(r.first, 'first');
    assert.equal(r.err, 'closed=true\n');
    assert.equal(r.code, 0);
  });
});

describe('cli: writeOutputFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-out-'));
  });

  async function failure(flag: string, file: string): Promise<MplError> {
    const e = await writeOutputFile(flag, file, 'x').then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(e instanceof MplError, String(e));
    assert.equal(e.code, 'OUTPUT_NOT_WRITABLE');
    assert.equal(e.where, flag);
    assert.ok(e.message.includes(file), e.message);
    return e;
  }

  it('writes the file', async () => {
    const file = path.join(dir, 'plan.json');
    await writeOutputFile('--out', file, '{"a":1}\n');
    assert.equal(await readFile(file, 'utf8'), '{"a":1}\n');
  });

  it('names the file, the flag and the reason: no such directory, a directory', async () => {
    const missing = path.join(dir, 'no-such-dir', 'plan.json');
    const e = await failure('--out', missing);
    assert.equal(
      e.describe(),
      `--out: cannot write ${missing}: the directory ${path.dirname(missing)} does not exist`,
    );
    assert.doesNotMatch(e.describe(), /ENOENT|internal/);
    assert.match((await failure('--out', dir)).message, /: it is a directory$/);
  });

  it('says permission denied', async function () {
    // Root writes anyway: the errno mapping is checked on its own, a real read-only folder only as a user.
    const denied = Object.assign(new Error("EACCES: permission denied, open '/x/y'"), { code: 'EACCES' });
    assert.equal(
      outputNotWritable('--out', '/x/y', denied).describe(),
      '--out: cannot write /x/y: permission denied',
    );
    if (process.getuid?.() === 0) return;
    const ro = path.join(dir, 'read-only');
    await mkdir(ro);
    await chmod(ro, 0o500);
    assert.match((await failure('--out', path.join(ro, 'plan.json'))).message, /: permission denied$/);
  });
});

describe('tables and notes fit the terminal width', () => {
  const WIDTHS = [60, 80, 120];

  function assertFits(text: string, width: number) {
    for (const line of plain(text).split('\n')) {
      assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
    }
    assert.ok(!plain(text).includes('…'), 'nothing cut off');
  }

  /** Six brokers, three consumers, KRaft (legacy pattern 2 refused with a long reason), a data volume. */
  function report(): CostReport {
    const config = configOf({
      pattern2: { mode: 'rewrite' },
      consumers: [
        consumerInput('analytics', '222222222222'),
        consumerInput('billing', '333333333333', 3, 'broker-az'),
        consumerInput('fraud', '444444444444'),
      ],
    });
    const inventory = inventoryOf(brokersFor([1, 2, 3, 4, 5, 6]), {
      kafkaVersion: '3.7.x.kraft',
      metadataMode: 'kraft',
    });
    return estimateCost(planInputOf(config, inventory), { gbPerMonth: 12_345 });
  }

  it('the cost table wraps at 60, 80 and 120 columns and keeps every figure', () => {
    const r = report();
    assert.ok(
      r.notes.some((n) => n.length > 120),
      'a note longer than any width',
    );
    const viable = r.options.filter((o) => o.viable);
    for (const width of WIDTHS) {
      for (const color of [false, true]) {
        const text = renderCost(r, 'table', { color, width });
        assertFits(text, width);
        const flat = plain(text);
        for (const o of viable) assert.ok(flat.includes(usd(o.monthlyUsd)), `${width}: ${usd(o.monthlyUsd)}`);
        assert.ok(flat.includes('KRaft'));
      }
    }
    // Notes are wrapped, not cut: their words all come back in order.
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    const narrow = plain(renderCost(r, 'table', { color: false, width: 60 }));
    const noteText = narrow.slice(narrow.indexOf('note: '));
    assert.deepEqual(
      words(noteText).join(' '),
      r.notes
        .map((n) => `note: ${n}`)
        .join(' ')
        .split(/\s+/)
        .join(' '),
    );
    // Wide enough, nothing wraps.
    const wide = renderCost(r, 'table', { color: false, width: 250 });
    assert.ok(wide.includes(`│ * ${r.selected} (configured) │`), wide);
  });

  it('the probe table wraps long host names and hints at 60, 80 and 120 columns', () => {
    const host = 'b-1.payments-cluster-with-a-long-name.abc123.c2.kafka.us-east-2.amazonaws.com';
    const ok = (id: number): BrokerResult => ({
      ...emptyResult({ id, host: host.replace('b-1', `b-${id}`), port: 9094 }),
      addresses: ['10.20.1.15', '10.20.2.16'],
      steps: { dns: 'ok', tcp: 'ok', tls: 'ok', auth: 'skipped', kafka: 'ok' },
      ms: { dns: 1, tcp: 2, tls: 30, auth: null, kafka: 12 },
    });
    const bad = ok(2);
    bad.steps.tls = 'failed';
    bad.steps.kafka = 'skipped';
    bad.failedStep = 'tls';
    bad.error = `certificate of ${bad.host} is not trusted: unable to get local issuer certificate`;
    bad.hint =
      "pass --ca with the PEM bundle that signed the brokers' certificates (for MSK: the Amazon Trust Services roots), or check that the name resolves to the stack's endpoint and not to a different service";
    const r: ProbeReport = finishReport({
      mode: 'config',
      listener: 'tls',
      consumer: 'analytics',
      canary: null,
      brokers: [ok(1), bad, ok(3)],
      ms: 412,
    });
    for (const width of WIDTHS) {
      for (const color of [false, true]) {
        const text = renderTable(r, color, { width });
        assertFits(text, width);
        const flat = plain(text);
        assert.match(flat, /FAILED/);
        assert.match(flat, /broker 2 failed at tls: certificate/);
        assert.match(flat, /1 of 3 broker\(s\) failed from consumer analytics/);
        // The host name comes back whole once its wrapped pieces are put together: from the second
        // column of the table, or from the lines under "broker 1:" when too narrow for a table.
        const rows = flat.split('\n');
        const hostCol = flat.includes('┌')
          ? rows
              .filter((l) => l.startsWith('│ 1 ') || /^│ +│/.test(l))
              .map((l) => l.split('│')[2]?.trim() ?? '')
              .join('')
          : (rows
              .slice(rows.findIndex((l) => l.startsWith('broker 1:')))
              .join('\n')
              .replace(/^broker 1:\s*/, '')
              .split('\n    addresses')[0]
              ?.replace(/\s+/g, '') ?? '');
        assert.ok(hostCol.startsWith(`${host}:9094`), `${width}: ${hostCol}`);
        assert.equal(flat.includes('┌'), width >= 100, `${width}: a table from 100 columns on`);
      }
    }
  });

  it('wrapText and fitTable: words kept, long words cut at punctuation, columns within the budget', () => {
    assert.deepEqual(wrapText('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
    assert.deepEqual(wrapText('note: one two three', 12, '      '), [
      'note: one',
      '      two',
      '      three',
    ]);
    assert.deepEqual(wrapText('b-1.payments.example.com:9094', 14), [
      'b-1.payments.',
      'example.com:',
      '9094',
    ]);
    assert.deepEqual(wrapText('x\n    hint: y', 20), ['x', '    hint: y']);
    const fit = fitTable(
      [
        ['a', 'b', 'c'],
        ['short', 'x'.repeat(40), 'words that can wrap '.repeat(5)],
      ],
      60,
    );
    assert.ok(fit.colWidths.reduce((s, w) => s + w, 0) + 4 <= 60, String(fit.colWidths));
    assert.equal(fit.colWidths[0], 7, 'a narrow column keeps its width');
    assert.equal(layoutWidth(30), 60);
    assert.equal(layoutWidth(132), 132);
  });
});

describe('cli: an empty config or inventory file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-empty-'));
  });

  const CONFIG_FIELDS = 'name, region, pattern, cluster, provider and consumers';

  for (const [name, text] of [
    ['empty.yaml', ''],
    ['blank.yaml', '  \n\n'],
    ['comments.yml', '# to be filled in\n---\n   # later\n'],
    ['empty.json', '\n'],
  ] as const) {
    it(`${name}: says the file is empty and what it needs, exit 1`, async () => {
      const file = path.join(dir, name);
      await writeFile(file, text);
      const r = await runCli(['plan', '--offline', '--config', file]);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        `error [INVALID_INPUT]: ${file}: the file is empty: expected a config with ${CONFIG_FIELDS}\n`,
      );
    });
  }

  it('an empty inventory (cluster.brokersFile) names its own fields', async () => {
    const inventory = path.join(dir, 'brokers.json');
    await writeFile(inventory, '');
    const config = parseYaml(await readFile(path.join(ROOT, 'plans/pattern1-one-consumer.yaml'), 'utf8')) as {
      cluster: { brokersFile: string };
    };
    config.cluster.brokersFile = 'brokers.json';
    const file = path.join(dir, 'with-empty-inventory.yaml');
    await writeFile(file, toYaml(config));
    const r = await runCli(['plan', '--offline', '--config', file]);
    assert.equal(r.code, 1);
    assert.ok(
      r.err.startsWith(
        `error [INVALID_INPUT]: ${inventory}: the file is empty: expected an inventory with clusterName, region, kafkaVersion, metadataMode, brokerType, vpcId and brokers`,
      ),
      r.err,
    );
  });
});
