import { createColors } from 'picocolors';
import type { Finding } from '../planner/lint.js';
import { kindDef } from '../kinds/index.js';
import { layoutWidth, wrapText } from '../text-layout.js';
import { GLYPH, type Action, type Change, type Summary } from './diff.js';
import { redactProps } from './plan-json.js';

export interface RenderOptions {
  color: boolean;
  /** Show unchanged resources too (off by default, as in Terraform). */
  showNoop?: boolean;
  /** Wrap findings at this width (default: the terminal's). */
  width?: number;
}

const VERB: Record<Action, string> = {
  create: 'will be created',
  update: 'will be updated in place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  noop: 'is up to date',
};

/** A Terraform-like, human-readable diff: one block per change, a reason each, a summary line. */
export function renderPlan(
  changes: Change[],
  summary: Summary,
  findings: Finding[],
  opts: RenderOptions,
): string {
  const c = createColors(opts.color);
  const paint: Record<Action, (s: string) => string> = {
    create: c.green,
    update: c.yellow,
    replace: c.magenta,
    delete: c.red,
    noop: c.dim,
  };
  const out: string[] = [];
  const shown = changes.filter((ch) => opts.showNoop || ch.action !== 'noop');
  if (shown.length === 0) {
    out.push(c.green('No changes.') + ' The live resources match the configuration.');
  } else {
    out.push('msk-privatelink will perform the following actions:', '');
    for (const ch of shown) {
      const p = paint[ch.action];
      out.push(
        c.bold(`  # ${ch.id}`) +
          ` (${ch.kind}, account ${ch.account}) ${VERB[ch.action]}: ${c.dim(ch.reason)}`,
      );
      out.push(p(`  ${GLYPH[ch.action].padStart(3)} ${ch.kind} "${ch.id}"`));
      out.push(...renderProps(ch, p, c.dim));
      out.push('');
    }
  }
  for (const f of findings) {
    const word = f.severity === 'error' ? 'Error' : f.severity === 'warning' ? 'Warning' : 'Note';
    const label =
      f.severity === 'error'
        ? c.red(c.bold(word))
        : f.severity === 'warning'
          ? c.yellow(c.bold(word))
          : c.bold(word);
    const [first = '', ...rest] = wrapText(
      `${word} [${f.code}]: ${f.message}`,
      layoutWidth(opts.width),
      '  ',
    );
    out.push(first.replace(/^(Error|Warning|Note)/, label), ...rest);
  }
  if (findings.length > 0) out.push('');
  out.push(
    c.bold('Plan:') +
      ` ${summary.create} to add, ${summary.update} to change, ${summary.replace} to replace, ${summary.delete} to destroy` +
      (summary.noop > 0 ? `, ${summary.noop} unchanged.` : '.'),
  );
  return `${out.join('\n')}\n`;
}

function renderProps(ch: Change, p: (s: string) => string, dim: (s: string) => string): string[] {
  const lines: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  // Each kind names what a readable diff leaves out (tags, client tokens); the JSON has everything.
  const def = kindDef(ch.kind);
  const hidden = new Set(def.hidden ?? []);
  const before = ch.before && redactProps(ch.before, def.sensitive);
  const after = ch.after && redactProps(ch.after, def.sensitive);
  if (ch.action === 'create') {
    for (const [k, v] of Object.entries(after ?? {}))
      if (!hidden.has(k)) lines.push(p(`        + ${k} = ${show(v)}`));
  } else if (ch.action === 'delete') {
    for (const [k, v] of Object.entries(before ?? {}))
      if (!hidden.has(k)) lines.push(p(`        - ${k} = ${show(v)}`));
  } else if (ch.action === 'update' || ch.action === 'replace') {
    for (const k of ch.changedProps ?? []) {
      const forces = ch.forcingProps?.includes(k) ? dim(' # forces replacement') : '';
      // A hidden prop (tags, a schedule's long input) is named, its values left to the JSON.
      if (hidden.has(k)) lines.push(p(`        ~ ${k} changed`) + dim(' (values in plan --json)') + forces);
      else lines.push(p(`        ~ ${k} = ${show(before?.[k])} -> ${show(after?.[k])}`) + forces);
    }
  }
  return lines;
}
