// The in-VPC probe's bundle as Lambda runs it: dist/probe-lambda.zip (made by `npm run build`) holds
// one CommonJS index.js with every dependency inside, exporting `handler`; it refuses a malformed
// event and probes a target like the local probe does.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';

const ZIP = path.resolve('dist/probe-lambda.zip');

describe('probe bundle (dist/probe-lambda.zip)', () => {
  let handler: (event: unknown) => Promise<{
    ok: boolean;
    brokers: Array<{ id: number | null; failedStep: string | null; steps: Record<string, string> }>;
  }>;

  before(async () => {
    const files = unzipSync(new Uint8Array(await readFile(ZIP)));
    assert.deepEqual(Object.keys(files), ['index.js'], 'one file, the handler module');
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-bundle-'));
    await writeFile(path.join(dir, 'index.js'), files['index.js'] as Uint8Array);
    // As Lambda loads it: CommonJS, from a directory with no node_modules.
    const mod = createRequire(path.join(dir, 'index.js'))(path.join(dir, 'index.js')) as {
      handler: typeof handler;
    };
    handler = mod.handler;
  });

  it('is under 5 MB zipped', async () => {
    const size = (await stat(ZIP)).size;
    assert.ok(size < 5 * 1024 * 1024, `${size} bytes`);
  });

  it('refuses a malformed event, naming the field', async () => {
    await assert.rejects(handler({ consumer: 'c1', listener: 'tls', targets: [] }), /targets/);
    await assert.rejects(handler({ nonsense: true }), /consumer|listener/);
  });

  it('probes a target: a closed port fails at the tcp step with the same report shape', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const report = await handler({
      consumer: 'c1',
      listener: 'plaintext',
      targets: [{ id: 1, host: 'localhost', port }],
      timeoutMs: 1000,
      canary: false,
    });
    assert.equal(report.ok, false);
    assert.equal(report.brokers[0]?.id, 1);
    assert.equal(report.brokers[0]?.steps.dns, 'ok');
    assert.equal(report.brokers[0]?.failedStep, 'tcp');
  });
});
