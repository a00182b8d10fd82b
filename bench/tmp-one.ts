import { runHostileSuite } from './_hostile-suite.js';
const attacks = process.argv[2].split(',') as any;
const r = await runHostileSuite({ seconds: Number(process.argv[3] ?? 4), helloLoops: 4, hostileLoops: 2, slowConnections: 300, pastHoldBounds: false, attacks });
for (const x of r) console.log(x.attack, JSON.stringify(x.answers.codes), x.answers.heldMs, 'p50', x.solo.p50_ms.toFixed(2), x.during.p50_ms.toFixed(2), 'p99', x.solo.p99_ms.toFixed(2), x.during.p99_ms.toFixed(2));
