/**
 * CPU metering: a fuel counter (a mutable i64 global) that the module itself decrements, so a
 * runaway loop or recursion traps inside its budget at the same instruction every time, whatever
 * the machine's speed or load.
 *
 * Placement: every path that can run forever goes around a loop or through a call, so charging at
 * each function entry and each loop header is enough. Each such point is charged the static cost
 * of its region: the instructions of the function body (or loop body) outside nested loops, each
 * counting 1 (blocks, loops and nops emit no code and count 0). Both arms of an `if` count, so the
 * charge bounds the instructions the region runs before it reaches another charge point; calls
 * are paid by the callee's entry charge.
 *
 * A charge is `f = fuel - cost; fuel = f; if (f < 0) unreachable`, inline (no call, no import).
 * The trap leaves the counter negative, which no other trap can (a check fires as soon as it goes
 * below zero), so the host tells an out-of-fuel trap from any other by reading the counter.
 *
 * Speed: in a loop, reading the global back every iteration chains each iteration's load to the
 * previous store (store-to-load forwarding latency), which dominated tight loops. Inside a loop
 * nest without calls nothing but the nest itself changes the counter, so there it is kept in a
 * local `f`, loaded once on entering the nest; the global is still written at every charge, so it
 * is exact at every point and whatever way the nest is left (branch, return, trap, throw).
 * Loops with calls, and function entries, read the global (a callee has changed it).
 */
import binaryen from 'binaryen';
import { pushChildren } from './expressions.js';

type ExpressionRef = binaryen.ExpressionRef;

/** Kinds that emit no machine code: they cost nothing. */
const FREE_KINDS: ReadonlySet<number> = new Set([binaryen.BlockId, binaryen.LoopId, binaryen.NopId]);
/** Kinds after which the fuel counter may have changed behind the function's back. */
const CALL_KINDS: ReadonlySet<number> = new Set([binaryen.CallId, binaryen.CallIndirectId]);

/** Accessors binaryen.js has and its typings lack. */
interface BinaryenExtras {
  Loop: {
    getName(loop: ExpressionRef): string | null;
    setName(loop: ExpressionRef, name: string): void;
    getBody(loop: ExpressionRef): ExpressionRef;
    setBody(loop: ExpressionRef, body: ExpressionRef): void;
  };
  Block: { getName(block: ExpressionRef): string | null };
  Try: { getName(tryExpr: ExpressionRef): string | null };
  Function: {
    getBody(func: binaryen.FunctionRef): ExpressionRef;
    setBody(func: binaryen.FunctionRef, body: ExpressionRef): void;
  };
  /** The C API's BinaryenFunctionAddVar, exported but not wrapped: returns the new local's index. */
  _BinaryenFunctionAddVar(func: binaryen.FunctionRef, type: binaryen.Type): number;
}
const { Loop, Block, Try, Function: Func, _BinaryenFunctionAddVar: addVar } = binaryen as unknown as BinaryenExtras;
/** Kinds that carry a label branches can target, and how to read it. */
const LABEL_OF: ReadonlyMap<number, (expr: ExpressionRef) => string | null> = new Map([
  [binaryen.BlockId, Block.getName],
  [binaryen.LoopId, Loop.getName],
  [binaryen.TryId, Try.getName],
]);
if (typeof addVar !== 'function') throw new Error('binaryen.js does not export _BinaryenFunctionAddVar');

/** A function body or a loop body: charged once per entry (per iteration, for a loop). */
interface Region {
  /** The loop, or null for the function body. */
  loop: ExpressionRef | null;
  /** The enclosing region; null only for the function body. */
  parent: Region | null;
  cost: number;
  /** A call anywhere inside, nested loops included. */
  hasCall: boolean;
}

/** Adds the fuel counter global (initially 0: the host sets it before every call). */
export function addFuelGlobal(module: binaryen.Module, internalName: string): void {
  module.addGlobal(internalName, binaryen.i64, true, module.i64.const(0n));
}

/** Charges fuel at the entry of every defined function and at every loop header. */
export function meterFunctions(module: binaryen.Module, fuelGlobal: string): void {
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i);
    if (Func.getBody(func)) meterFunction(module, fuelGlobal, func); // no body: an import
  }
}

function meterFunction(module: binaryen.Module, fuelGlobal: string, func: binaryen.FunctionRef): void {
  const body = Func.getBody(func);
  const charge = new Charger(module, fuelGlobal, addVar(func, binaryen.i64));
  const { regions, labels } = regionsOf(body);
  let nests = 0;
  const freshLabel = (): string => {
    let label: string;
    do label = `__flick_nest${nests++}`;
    while (labels.has(label));
    return label;
  };
  for (const { loop, parent, cost, hasCall } of regions) {
    if (loop === null) {
      if (cost > 0) Func.setBody(func, charge.before(body, cost, 'global'));
      continue;
    }
    const inLocal = !hasCall;
    const loopBody = Loop.getBody(loop);
    const charged = cost > 0 ? charge.before(loopBody, cost, inLocal ? 'local' : 'global') : loopBody;
    const entersNest = inLocal && (parent!.loop === null || parent!.hasCall);
    if (!entersNest) {
      Loop.setBody(loop, charged);
      continue;
    }
    // Entering a call-free nest: load the counter into the local once. The original loop node
    // keeps its place in the tree but gets a label nothing targets, so it runs its body once,
    // like a block: the load, then a new loop, under the original label, that takes the
    // back-edges.
    const label = Loop.getName(loop);
    Loop.setName(loop, freshLabel());
    Loop.setBody(loop, module.block(null, [charge.loadLocal(), module.loop(label, charged)], binaryen.getExpressionType(charged)));
  }
}

/** Builds charge code for one function. */
class Charger {
  constructor(
    private readonly module: binaryen.Module,
    private readonly fuelGlobal: string,
    private readonly local: number,
  ) {}

  /** `code`, preceded by a charge of `cost` taken from the global, or from the local mirroring it. */
  before(code: ExpressionRef, cost: number, source: 'global' | 'local'): ExpressionRef {
    const m = this.module;
    const current = source === 'global' ? m.global.get(this.fuelGlobal, binaryen.i64) : m.local.get(this.local, binaryen.i64);
    return m.block(
      null,
      [
        m.global.set(this.fuelGlobal, m.local.tee(this.local, m.i64.sub(current, m.i64.const(BigInt(cost))), binaryen.i64)),
        m.if(m.i64.lt_s(m.local.get(this.local, binaryen.i64), m.i64.const(0n)), m.unreachable()),
        code,
      ],
      binaryen.getExpressionType(code),
    );
  }

  loadLocal(): ExpressionRef {
    return this.module.local.set(this.local, this.module.global.get(this.fuelGlobal, binaryen.i64));
  }
}

/**
 * The function body's region and one per loop, parents before children, with costs and call
 * flags; and the function's labels, so that new ones cannot capture its branches. Iterative, not
 * recursive: a hostile module may nest loops arbitrarily deep.
 */
function regionsOf(body: ExpressionRef): { regions: Region[]; labels: Set<string> } {
  const regions: Region[] = [];
  const labels = new Set<string>();
  const pending: Array<{ root: ExpressionRef; region: Region }> = [{ root: body, region: { loop: null, parent: null, cost: 0, hasCall: false } }];
  for (let i = 0; i < pending.length; i++) {
    const { root, region } = pending[i];
    regions.push(region);
    const exprs = [root];
    for (let expr = exprs.pop(); expr !== undefined; expr = exprs.pop()) {
      const id = binaryen.getExpressionId(expr);
      const label = LABEL_OF.get(id)?.(expr);
      if (label) labels.add(label);
      if (id === binaryen.LoopId) {
        pending.push({ root: Loop.getBody(expr), region: { loop: expr, parent: region, cost: 0, hasCall: false } });
        continue;
      }
      if (!FREE_KINDS.has(id)) region.cost++;
      if (CALL_KINDS.has(id)) region.hasCall = true;
      pushChildren(expr, exprs);
    }
  }
  // Children come after their parents: walking backwards settles every loop before its parent.
  for (let i = regions.length - 1; i > 0; i--) {
    if (regions[i].hasCall) regions[i].parent!.hasCall = true;
  }
  return { regions, labels };
}
