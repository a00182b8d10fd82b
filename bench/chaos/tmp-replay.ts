import { readFileSync } from 'node:fs';
import { Ledger } from './ledger.js';
import { verdict } from './verdict.js';
const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const l = new Ledger(r.startedAt);
l.setInitial('tally', 'v1'); l.setInitial('pool', 'v1');
l.faults.push(...r.faults); l.changes.push(...r.changes); l.samples.push(...r.samples);
const v = verdict(l, {}) as any;
console.log(JSON.stringify({ regress: v.per_key_count_regressions, splits: v.per_key_split_answers, violations: v.violations }));
