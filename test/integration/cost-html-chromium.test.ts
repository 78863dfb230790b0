import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../support/run-cli.js';

// `cost --format html` as a reader sees it: the page the CLI writes, opened from a file in headless
// Chromium (Debian's package; .ci/run installs it) in an 800 px wide window. Measured there: the
// bars' drawn widths against the figures of `cost --format json` for the same config, every request
// the page makes (none but the document), and that nothing is wider than the window.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WIDTH = 800;

interface JsonReport {
  options: { id: string; viable: boolean; monthlyUsd: number }[];
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
}

/** What the page measures of itself (see measure()). */
interface Measured {
  viewport: { clientWidth: number; scrollWidth: number };
  /** Each `.scroll` box (the tables' wrappers): what it holds and whether that is wider than it. */
  scrollBoxes: { holds: string; clientWidth: number; scrollWidth: number }[];
  bars: { option: string; box: Box }[];
  ticks: { usd: number; x: number }[];
  axisMax: number;
  svg: Box;
  viewBoxWidth: number;
  /** Every SVG text: its box and its font size as drawn (px). */
  texts: { text: string; box: Box; px: number }[];
  /** Anything in the DOM that loads or runs something: elements, @font-face fonts, background images. */
  loaders: string[];
}

// The few DOM shapes measure() uses; the project compiles without the DOM library.
interface El {
  getBoundingClientRect(): Box;
  getAttribute(name: string): string | null;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): Iterable<El>;
  firstElementChild: El | null;
  tagName: string;
  className: string;
  textContent: string | null;
  clientWidth: number;
  scrollWidth: number;
}
interface Doc {
  documentElement: El;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): Iterable<El>;
  fonts: { size: number };
}
interface Win {
  document: Doc;
  getComputedStyle(el: El): { backgroundImage: string; fontSize: string };
}

/** Runs in the page. */
function measure(): Measured {
  const w = globalThis as unknown as Win;
  const doc = w.document;
  const box = (el: El): Box => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width };
  };
  const svg = doc.querySelector('svg.chart');
  if (!svg) throw new Error('no svg.chart on the page');
  const viewBoxWidth = Number((svg.getAttribute('viewBox') ?? '').split(' ')[2]);
  const drawnPerUnit = box(svg).width / viewBoxWidth;
  const all = [...doc.querySelectorAll('*')];
  return {
    viewport: { clientWidth: doc.documentElement.clientWidth, scrollWidth: doc.documentElement.scrollWidth },
    scrollBoxes: [...doc.querySelectorAll('.scroll')].map((s) => ({
      holds: `${s.firstElementChild?.tagName.toLowerCase() ?? '?'}.${s.firstElementChild?.className ?? ''}`,
      clientWidth: s.clientWidth,
      scrollWidth: s.scrollWidth,
    })),
    bars: [...svg.querySelectorAll('rect.bar')].map((b) => ({
      option: b.getAttribute('data-option') ?? '',
      box: box(b),
    })),
    ticks: [...svg.querySelectorAll('line.tick')].map((t) => ({
      usd: Number(t.getAttribute('data-usd')),
      x: box(t).left,
    })),
    axisMax: Number(svg.querySelector('g.axis')?.getAttribute('data-max')),
    svg: box(svg),
    viewBoxWidth,
    texts: [...svg.querySelectorAll('text')].map((t) => ({
      text: t.textContent ?? '',
      box: box(t),
      px: Number.parseFloat(w.getComputedStyle(t).fontSize) * drawnPerUnit,
    })),
    loaders: [
      ...[
        ...doc.querySelectorAll('script, link, img, image, iframe, object, embed, video, audio, source, use'),
      ].map((e) => `<${e.tagName.toLowerCase()}>`),
      ...(doc.fonts.size > 0 ? [`${doc.fonts.size} @font-face font(s)`] : []),
      ...all
        .filter((e) => w.getComputedStyle(e).backgroundImage !== 'none')
        .map((e) => `background-image on <${e.tagName.toLowerCase()}>`),
    ],
  };
}

interface Opened {
  measured: Measured;
  /** Every request the page made (Playwright's and the DevTools protocol's view, which adds data: fonts). */
  requests: string[];
  documentUrl: string;
}

const cases = [
  {
    name: 'pattern 1, three consumers, 1000 GB a month',
    args: ['plans/pattern1-three-consumers.yaml', '--gb-per-month', '1000'],
  },
  { name: 'pattern 2, one consumer', args: ['plans/pattern2-one-consumer.yaml'] },
];

describe('cost --format html in headless Chromium (800 px)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let dir: string;

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: this test needs a real browser. Install Debian's package ` +
          "('apt-get install chromium'; .ci/run does so when it is missing) or set CHROMIUM_PATH.",
      );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    dir = mkdtempSync(path.join(os.tmpdir(), 'cost-html-'));
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function cli(format: 'html' | 'json', args: string[]): Promise<string> {
    const r = await runCli(['cost', '--offline', '--format', format, '--config', ...args]);
    assert.equal(r.code, 0, r.err);
    return r.out;
  }

  /** Writes the page to a file and opens it as a reader would; any request but the document's is aborted. */
  async function open(html: string, file: string): Promise<Opened> {
    assert.ok(browser);
    const target = path.join(dir, file);
    writeFileSync(target, html);
    const documentUrl = pathToFileURL(target).href;
    const page: Page = await browser.newPage({
      viewport: { width: WIDTH, height: 900 },
      deviceScaleFactor: 1,
    });
    try {
      const requests = new Set<string>();
      page.on('request', (r) => requests.add(r.url()));
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      cdp.on('Network.requestWillBeSent', (e) => requests.add(e.request.url));
      await page.route('**/*', (route) =>
        route.request().url() === documentUrl ? route.continue() : route.abort(),
      );
      await page.goto(documentUrl, { waitUntil: 'load' });
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200))); // late fetches, if any
      // tsx compiles this file with esbuild's keepNames: measure()'s inner functions call its __name
      // helper, which the page lacks.
      await page.evaluate('globalThis.__name = (f) => f');
      return { measured: await page.evaluate(measure), requests: [...requests], documentUrl };
    } finally {
      await page.close();
    }
  }

  for (const c of cases) {
    it(`${c.name}: bars to scale, no request, nothing wider than ${WIDTH} px`, async () => {
      const report = JSON.parse(await cli('json', c.args)) as JsonReport;
      const {
        measured: m,
        requests,
        documentUrl,
      } = await open(await cli('html', c.args), `${path.basename(c.args[0] ?? 'x', '.yaml')}.html`);

      // The document itself and nothing else: no script, stylesheet, font or image, no data: URL either.
      assert.deepEqual(requests, [documentUrl], 'requests made by the page');
      assert.deepEqual(m.loaders, [], 'nothing in the DOM loads or runs anything');

      // A bar per viable option, each drawn at the same px per USD (within 1%).
      const viable = report.options.filter((o) => o.viable);
      assert.deepEqual(
        m.bars.map((b) => b.option).sort(),
        viable.map((o) => o.id).sort(),
        'a bar per viable option',
      );
      const usdOf = new Map(viable.map((o) => [o.id, o.monthlyUsd]));
      const scale = m.bars.map((b) => b.box.width / (usdOf.get(b.option) ?? NaN));
      const [lo, hi] = [Math.min(...scale), Math.max(...scale)];
      assert.ok(hi / lo - 1 <= 0.01, `px per USD from ${lo} to ${hi}`);
      // ... on the axis as drawn: from the $0 tick, reading its figure off the tick labels.
      const zero = m.ticks.find((t) => t.usd === 0)?.x ?? NaN;
      const end = m.ticks.find((t) => t.usd === m.axisMax)?.x ?? NaN;
      for (const b of m.bars) {
        const want = usdOf.get(b.option) ?? NaN;
        assert.ok(Math.abs(b.box.left - zero) < 0.5, `${b.option} starts at $0`);
        const read = (b.box.width / (end - zero)) * m.axisMax;
        assert.ok(
          Math.abs(read - want) <= 0.01 * want,
          `${b.option} reads $${read} on the axis, costs $${want}`,
        );
        // Not cut off: the whole bar is inside the chart and the window.
        assert.ok(
          b.box.right <= m.svg.right + 0.5 && b.box.right <= WIDTH,
          `${b.option} ends at ${b.box.right}`,
        );
      }
      // The largest bar is not squeezed: pattern 2's bar is pattern 1's at the ratio of their costs.
      const byOption = new Map(m.bars.map((b) => [b.option, b.box.width]));
      const share = (byOption.get('pattern2') ?? NaN) / (byOption.get('pattern1') ?? NaN);
      const want = (usdOf.get('pattern2') ?? NaN) / (usdOf.get('pattern1') ?? NaN);
      assert.ok(Math.abs(share / want - 1) <= 0.01, `pattern 2's bar ${share} of pattern 1's, cost ${want}`);

      // Readable at 800 px: the page does not scroll sideways, and neither does any table in it.
      assert.ok(
        m.viewport.scrollWidth <= m.viewport.clientWidth && m.viewport.clientWidth <= WIDTH,
        `page ${m.viewport.scrollWidth} px wide in a ${m.viewport.clientWidth} px window`,
      );
      const scrolling = m.scrollBoxes.filter((s) => s.scrollWidth > s.clientWidth);
      assert.deepEqual(scrolling, [], 'tables wider than their box (they would scroll sideways)');
      // The chart at its natural size (not scaled down), inside the window, its text 12 px or more and
      // inside the chart.
      assert.ok(m.svg.left >= 0 && m.svg.right <= WIDTH, `chart from ${m.svg.left} to ${m.svg.right}`);
      assert.ok(Math.abs(m.svg.width - m.viewBoxWidth) < 0.5, `chart drawn ${m.svg.width} px wide`);
      for (const t of m.texts) {
        assert.ok(t.px >= 12, `"${t.text}" at ${t.px} px`);
        assert.ok(
          t.box.left >= m.svg.left - 0.5 && t.box.right <= m.svg.right + 0.5,
          `"${t.text}" inside the chart`,
        );
      }
    });
  }
});
