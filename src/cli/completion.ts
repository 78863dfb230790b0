// Shell completion generated from the commander program itself, so a new command or flag is
// completed as soon as it is defined.
import { Argument, type Command, type Option } from 'commander';
import type { Io } from './io.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a value (of an option or a positional argument) completes to. */
type ValueSpec = { kind: 'choices'; choices: string[] } | { kind: 'file' } | { kind: 'none' };

/** A value as it is named in help (`<file>`), what it completes to, and whether it may be left out. */
type NamedValue = ValueSpec & { name: string; optional: boolean };

interface OptionSpec {
  flags: string[];
  description: string;
  /** Undefined for a switch. */
  value?: NamedValue;
}

type ArgumentSpec = NamedValue & { description: string };

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  args: ArgumentSpec[];
}

interface ProgramSpec {
  name: string;
  global: OptionSpec[];
  commands: CommandSpec[];
}

/** Values named like files (`<file>`, `[plan-file]`) complete to file names. */
function valueSpec(name: string, choices: readonly string[] | undefined): ValueSpec {
  if (choices !== undefined && choices.length > 0) return { kind: 'choices', choices: [...choices] };
  return /file/i.test(name) ? { kind: 'file' } : { kind: 'none' };
}

function optionSpec(o: Option): OptionSpec {
  const flags = [o.short, o.long].filter((f): f is string => f !== undefined);
  const spec: OptionSpec = { flags, description: o.description };
  if (o.required || o.optional) {
    // Commander: `<value>` must be given, `[value]` may be left out (`<host[:port]>` is the former).
    const name = (/<([^>]+)>/.exec(o.flags) ?? /\[([^\]]+)\]/.exec(o.flags))?.[1] ?? 'value';
    spec.value = { ...valueSpec(name, o.argChoices), name, optional: !o.required };
  }
  return spec;
}

function argumentSpec(a: Argument, commandNames: string[], forHelp: boolean): ArgumentSpec {
  // `help [command]` completes to the commands.
  const choices = forHelp ? commandNames : a.argChoices;
  return {
    ...valueSpec(a.name(), choices),
    name: a.name(),
    optional: !a.required,
    description: a.description,
  };
}

/**
 * The program as completion sees it: visible commands (with commander's own `help`) and visible
 * options, as `--help` lists them. Options of the program are accepted after a command too.
 */
export function programSpec(program: Command): ProgramSpec {
  const help = program.createHelp();
  const global = help.visibleOptions(program).map(optionSpec);
  const visible = help.visibleCommands(program);
  const names = visible.map((c) => c.name());
  const commands = visible.map((c) => ({
    name: c.name(),
    description: help.subcommandDescription(c),
    options: help.visibleOptions(c).map(optionSpec),
    args: help.visibleArguments(c).map((a) => argumentSpec(a, names, c.name() === 'help')),
  }));
  // Commander lists `help [command]` but registers no Argument for it when it is the implicit one.
  for (const c of commands) {
    if (c.name === 'help' && c.args.length === 0) {
      c.args.push({ kind: 'choices', choices: names, name: 'command', optional: true, description: '' });
    }
  }
  return { name: program.name(), global, commands };
}

// ---------------------------------------------------------------- bash

/** A word list quoted for bash: 'a b c'. Every word here is a flag, command or choice (no quote). */
function bashWords(words: string[]): string {
  return `'${words.join(' ').replace(/'/g, `'\\''`)}'`;
}

function bashFunctionName(name: string): string {
  return `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** `case` arms completing an option's value: files, its choices, or nothing. */
function bashValueArms(fn: string, options: OptionSpec[], indent: string): string[] {
  const arms: string[] = [];
  for (const o of options) {
    if (o.value === undefined || o.value.optional) continue;
    const pattern = o.flags.join('|');
    const v = o.value;
    const body =
      v.kind === 'file'
        ? `${fn}_files`
        : v.kind === 'choices'
          ? `COMPREPLY=($(compgen -W ${bashWords(v.choices)} -- "$cur"))`
          : 'COMPREPLY=()';
    arms.push(`${indent}${pattern}) ${body}; return 0 ;;`);
  }
  return arms;
}

function bashScript(p: ProgramSpec): string {
  const fn = bashFunctionName(p.name);
  // Flags whose value is the next word, in any command: that word is neither command nor argument.
  const takesValue = [
    ...new Set(
      [...p.global, ...p.commands.flatMap((c) => c.options)]
        .filter((o) => o.value !== undefined && !o.value.optional)
        .flatMap((o) => o.flags),
    ),
  ];
  const commandArms = p.commands.map((c) => {
    const options = [...c.options, ...p.global];
    const flags = [...new Set(options.flatMap((o) => o.flags))];
    const positional = c.args[0];
    const positionalBody =
      positional === undefined
        ? 'COMPREPLY=()'
        : positional.kind === 'file'
          ? `${fn}_files`
          : positional.kind === 'choices'
            ? `COMPREPLY=($(compgen -W ${bashWords(positional.choices)} -- "$cur"))`
            : 'COMPREPLY=()';
    return [
      `    ${c.name})`,
      '      case "$prev" in',
      ...bashValueArms(fn, options, '        '),
      '      esac',
      '      if [[ "$cur" == -* ]]; then',
      `        COMPREPLY=($(compgen -W ${bashWords(flags)} -- "$cur"))`,
      // Only the first positional argument is completed (no command takes more than one).
      '      elif [[ $npos -eq 0 ]]; then',
      `        ${positionalBody}`,
      '      fi',
      '      ;;',
    ].join('\n');
  });
  const globalFlags = [...new Set(p.global.flatMap((o) => o.flags))];
  return `# bash completion for ${p.name}, generated by \`${p.name} completion bash\`.
# Load it in this shell:   source <(${p.name} completion bash)
# or for every new shell:  ${p.name} completion bash > ~/.local/share/bash-completion/completions/${p.name}

${fn}_files() {
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$cur"))
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" npos=0 i w
  [[ $COMP_CWORD -gt 0 ]] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # \`--config=<TAB>\`: bash splits at the =, so the option is the word before it.
  [[ "$prev" == = && $COMP_CWORD -gt 1 ]] && prev="\${COMP_WORDS[COMP_CWORD-2]}"
  [[ "$cur" == = ]] && cur=""
  # The command is the first word that is neither an option nor an option's value; npos counts
  # the positional arguments after it, before the word being completed.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${takesValue.length > 0 ? `${takesValue.join('|')}) [[ "\${COMP_WORDS[i+1]}" == = ]] && ((i++)); ((i++)) ;;` : ''}
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; else ((npos++)); fi ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    case "$prev" in
${bashValueArms(fn, p.global, '      ').join('\n')}
    esac
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W ${bashWords(globalFlags)} -- "$cur"))
    else
      COMPREPLY=($(compgen -W ${bashWords(p.commands.map((c) => c.name))} -- "$cur"))
    fi
    return 0
  fi
  case "$cmd" in
${commandArms.join('\n')}
    *) COMPREPLY=() ;;
  esac
  return 0
}

complete -F ${fn} ${p.name}
`;
}

// ---------------------------------------------------------------- zsh

/** Text inside a single-quoted zsh word. */
function zq(s: string): string {
  return s.replace(/'/g, `'\\''`);
}

/** A description inside an `_arguments` spec's [...]: brackets and colons escaped, one line. */
function zDescription(s: string): string {
  return zq(s.replace(/\s+/g, ' ').replace(/([[\]:\\])/g, '\\$1'));
}

function zAction(v: ValueSpec): string {
  if (v.kind === 'file') return '_files';
  if (v.kind === 'choices') return `(${v.choices.map((c) => c.replace(/([ ()\\:'])/g, '\\$1')).join(' ')})`;
  return ' ';
}

function zOptionSpecs(o: OptionSpec): string[] {
  return o.flags.map((f) => {
    const desc = `[${zDescription(o.description)}]`;
    if (o.value === undefined) return `'${f}${desc}'`;
    const sep = f.startsWith('--') ? '=' : '+';
    const colons = o.value.optional ? '::' : ':';
    return `'${f}${sep}${desc}${colons}${zDescription(o.value.name)}:${zq(zAction(o.value))}'`;
  });
}

function zArgumentSpec(a: ArgumentSpec, position: number): string {
  return `'${position}${a.optional ? '::' : ':'}${zDescription(a.name)}:${zq(zAction(a))}'`;
}

function zshScript(p: ProgramSpec): string {
  const fn = bashFunctionName(p.name);
  const globals = p.global.flatMap(zOptionSpecs);
  const described = p.commands.map(
    (c) => `    '${zq(c.name.replace(/:/g, '\\:'))}:${zq(c.description.replace(/\s+/g, ' '))}'`,
  );
  const arms = p.commands.map((c) => {
    const specs = [...c.options, ...p.global]
      .filter((o, i, all) => all.findIndex((x) => x.flags.join() === o.flags.join()) === i)
      .flatMap(zOptionSpecs);
    const words = ['_arguments -s', ...specs, ...c.args.map((a, i) => zArgumentSpec(a, i + 1))];
    return [
      `        ${c.name})`,
      `          ${words.join(' \\\n            ')} && ret=0`,
      '          ;;',
    ].join('\n');
  });
  return `#compdef ${p.name}
# zsh completion for ${p.name}, generated by \`${p.name} completion zsh\`.
# Load it in this shell (after compinit):  source <(${p.name} completion zsh)
# or for every new shell:  ${p.name} completion zsh > "\${fpath[1]}/_${p.name}"

${fn}() {
  local curcontext="$curcontext" state line ret=1
  local -a commands
  commands=(
${described.join('\n')}
  )
  _arguments -C -s \\
${globals.map((s) => `    ${s} \\`).join('\n')}
    '1:command:->command' \\
    '*::argument:->argument' && ret=0
  case $state in
    command)
      _describe -t commands '${zq(p.name)} command' commands && ret=0
      ;;
    argument)
      case $words[1] in
${arms.join('\n')}
      esac
      ;;
  esac
  return ret
}

if [[ "\${funcstack[1]-}" == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${p.name}
fi
`;
}

/** The completion script for a shell, from the program's current commands and options. */
export function completionScript(program: Command, shell: Shell): string {
  const spec = programSpec(program);
  return shell === 'bash' ? bashScript(spec) : zshScript(spec);
}

/** `completion <shell>`: prints the script, built when it runs, so from every command defined. */
export function addCompletionCommand(program: Command, io: Io): Command {
  return program
    .command('completion')
    .description('print a shell completion script for bash or zsh (see its first lines to load it)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      io.out(completionScript(program, shell));
    });
}
