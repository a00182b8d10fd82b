// `flick bench all`'s report: the SVG bar charts it draws itself, a row per bench (a failed bench
// with its error, not dropped), peers that cannot run named with their error, and a bench that
// fails to start reported as an outcome rather than an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { barChartSvg, formatValue } from '../../bench/_svg-chart.js';
import { writeReport } from '../../bench/_report.js';
import { runBench } from '../../bench/_bench-process.js';

test('a chart has a bar per figure with its value, escaped labels, and decades on a log scale', () => {
  const svg = barChartSvg({
    file: 'x.svg',
    title: 'Spawn <p50>',
    unit: 'µs',
    better: 'lower',
    log: true,
    groups: [{ title: 'bench erlang', bars: [{ label: 'flick & co', value: 10.3, flick: true }, { label: 'Erlang', value: 1.67, flick: false }] }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /Spawn &lt;p50&gt;/);
  assert.match(svg, /flick &amp; co/);
  assert.equal((svg.match(/<rect x="250"/g) ?? []).length, 2, 'two bars');
  assert.match(svg, />10\.3 µs</);
  for (const tick of ['1', '10', '100']) assert.match(svg, new RegExp(`text-anchor="middle" fill="#6b7280">${tick}<`));
  assert.equal(formatValue(157846), '157,846');
  assert.equal(formatValue(0.515), '0.515');
});

test('the report has a row per bench, the failed ones with their error, and names a peer that cannot run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flick-report-'));
  try {
    const files = writeReport(
      dir,
      [
        { name: 'spawn', ok: true, seconds: 3, result: { bench: 'spawn', spawn_p50_us: 9, spawn_p99_us: 40, conditions: 'hello, 7 runs' } },
        { name: 'erlang', ok: true, seconds: 5, result: { bench: 'erlang', spawn_p50_us: 10, peer_spawn_p50_us: 1.5, conditions: 'OTP 25' } },
        { name: 'crun', ok: true, seconds: 1, result: { bench: 'crun', runnable: false, error: 'crun: not runnable here: no cgroups', cgroup_layout: 'v1 only' } },
        { name: 'migrate', ok: false, seconds: 2, error: 'exit 1: Error: etcd did not start' },
      ],
      { quick: true, startedAt: new Date(0), cores: 2, loadStart: 1, loadEnd: 2, node: 'v20' },
    );
    const md = readFileSync(join(dir, 'benchmarks.md'), 'utf8');
    assert.match(md, /\| spawn \| `spawn_p50_us` 9 µs<br>`spawn_p99_us` 40 µs.*\| met \| hello, 7 runs/);
    assert.match(md, /\| migrate \| \*\*failed\*\* after 2 s: exit 1: Error: etcd did not start/);
    assert.match(md, /- \*\*crun\*\* \(OCI containers\): crun: not runnable here: no cgroups/);
    assert.match(md, /quick mode/);
    assert.deepEqual(files, ['benchmarks.md', join('benchmarks', 'spawn.svg')], 'only the spawn chart has figures');
    assert.ok(existsSync(join(dir, 'benchmarks', 'spawn.svg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bench that cannot start is an outcome with its error', async () => {
  const o = await runBench('no-such-bench', [], 30_000);
  assert.equal(o.ok, false);
  assert.ok(!o.ok && /Cannot find module/.test(o.error), JSON.stringify(o));
});
