// Fitting text and tables to a terminal width: shared by the plan, cost and probe renderers.
export const MIN_WIDTH = 60;

/** The width to lay text out in: the one asked for, else the terminal's, else 100; at least 60. */
export function layoutWidth(width?: number): number {
  const w = width ?? process.stdout.columns ?? 100;
  return Math.max(MIN_WIDTH, Number.isFinite(w) && w > 0 ? Math.floor(w) : 100);
}

/** Where to cut a word too long for a line: after the last `.`, `/`, `:`, `,`, `-` or `=` in its second half, else at `room`. */
function cutAt(word: string, room: number): number {
  for (let i = room; i > room / 2; i--) if ('./:,-='.includes(word[i - 1] ?? '')) return i;
  return room;
}

/**
 * Wraps plain text (no colour codes) to lines of at most `width` characters: at spaces, and a word
 * longer than a line (a host name, an ARN) at punctuation or else anywhere. Each paragraph keeps its
 * leading spaces; its continuation lines start with `indent`. A line break in `text` is kept.
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const w = Math.max(1, Math.floor(width));
  const cont = indent.length <= w / 2 ? indent : '';
  const out: string[] = [];
  for (const para of text.split('\n')) {
    const lead = /^ */.exec(para)?.[0] ?? '';
    let line = lead.length <= w / 2 ? lead : '';
    let blank = true;
    for (let word of para.slice(lead.length).split(/\s+/)) {
      if (word === '') continue;
      if ((blank ? 0 : 1) + word.length <= w - line.length) {
        line += blank ? word : ` ${word}`;
        blank = false;
        continue;
      }
      if (!blank) {
        out.push(line);
        line = cont;
      }
      while (word.length > w - line.length) {
        const cut = cutAt(word, w - line.length);
        out.push(line + word.slice(0, cut));
        line = cont;
        word = word.slice(cut);
      }
      line += word;
      blank = false;
    }
    out.push(blank ? line.trimEnd() : line);
  }
  return out;
}

/** A table cell: plain text, or plain text and the colour to paint it once wrapped. */
export type Cell = string | { text: string; style: (s: string) => string };

const cellText = (c: Cell): string => (typeof c === 'string' ? c : c.text);

export interface FitOptions {
  /** Per column: content never wider than this (a prose column stays readable on a wide terminal). */
  maxWidths?: Array<number | undefined>;
  /** Per column: the narrowest content that still reads well; default: its longest word. */
  minWidths?: Array<number | undefined>;
}

export interface FittedTable {
  /** For cli-table3's `colWidths` (padding included). */
  colWidths: number[];
  /** The cells wrapped to their column and painted. */
  rows: string[][];
  /** Every column got at least its minimum width; false: words had to be cut, try another layout. */
  ok: boolean;
}

/**
 * Lays a cli-table3 table (one space of padding each side, a border between columns) out in
 * `width`: columns keep their natural width when everything fits; otherwise the widest shrink
 * first, not below their minimum (see FitOptions) while that is possible, and cells wrap (see
 * wrapText).
 */
export function fitTable(rows: Cell[][], width: number, opts: FitOptions = {}): FittedTable {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const natural = new Array<number>(n).fill(1);
  const longestWord = new Array<number>(n).fill(1);
  for (const row of rows) {
    row.forEach((c, i) => {
      for (const line of cellText(c).split('\n')) {
        natural[i] = Math.max(natural[i] ?? 1, line.length);
        for (const word of line.split(/\s+/)) longestWord[i] = Math.max(longestWord[i] ?? 1, word.length);
      }
    });
  }
  natural.forEach((x, i) => (natural[i] = Math.min(x, opts.maxWidths?.[i] ?? x)));
  const wanted = natural.map((x, i) => Math.max(1, Math.min(x, opts.minWidths?.[i] ?? longestWord[i] ?? 1)));
  const budget = Math.max(n, width - (n + 1) - 2 * n);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  /** The largest cap with sum(f(cap)) within the budget (0 when none). */
  const largest = (f: (cap: number) => number[]) => {
    let cap = 0;
    while (cap < Math.max(1, ...natural) && sum(f(cap + 1)) <= budget) cap++;
    return cap;
  };
  // Floors: each column's wanted width, or when those do not all fit, the wanted widths cut down
  // to a common cap, so the narrow columns stay whole and the wide ones give way.
  const ok = sum(wanted) <= budget;
  const floorCap = ok ? Infinity : largest((cap) => wanted.map((x) => Math.min(x, cap)));
  const floor = wanted.map((x) => Math.max(1, Math.min(x, floorCap)));
  // Each column at min(natural, max(floor, cap)) for the largest cap that fits; the characters left
  // over (fewer than the columns the cap cut, or cap + 1 would have fit) go one to each of them.
  const at = (cap: number) => natural.map((nat, i) => Math.min(nat, Math.max(floor[i] ?? 1, cap)));
  const content = at(largest(at));
  let spare = budget - sum(content);
  for (let i = 0; i < n && spare > 0; i++) {
    if ((content[i] ?? 0) < (natural[i] ?? 0)) {
      content[i] = (content[i] ?? 0) + 1;
      spare--;
    }
  }
  return {
    colWidths: content.map((w) => w + 2),
    rows: rows.map((row) =>
      row.map((c, i) => {
        const text = wrapText(cellText(c), content[i] ?? 1).join('\n');
        return typeof c === 'string' ? text : c.style(text);
      }),
    ),
    ok,
  };
}
