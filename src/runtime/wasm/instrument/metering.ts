/**
 * CPU metering: a fuel counter (a mutable i64 global) that the module itself decrements, so a
 * runaway loop or recursion traps inside its budget at the same instruction every time, whatever
 * the machine's speed or load.
 *
 * Placement: every path that can run forever goes around a loop or through a call, so charging at
 * each function entry and each loop header is enough. Each such point is charged the static cost
 * of its region: the instructions of the function body (or loop body) outside nested loops, each
 * counting 1 (blocks, loops and nops emit no code and count 0). Both arms of an `if` are counted,
 * so the charge is an upper bound of the instructions the region can run before it reaches
 * another charge point; calls are paid by the callee's entry charge.
 *
 * A charge is `fuel -= cost; if (fuel < 0) unreachable`, inline: no call, no import, a load, a
 * subtract, a store, a compare and a predicted branch. The trap leaves the counter negative, which
 * no other trap can (a check fires as soon as it goes below zero), so the host tells an
 * out-of-fuel trap from any other by reading the counter: negative means out of fuel.
 */
import binaryen from 'binaryen';
import { pushChildren } from './expressions.js';

type ExpressionRef = binaryen.ExpressionRef;

/** Kinds that emit no machine code: they cost nothing. */
const FREE_KINDS: ReadonlySet<number> = new Set([binaryen.BlockId, binaryen.LoopId, binaryen.NopId]);

interface LoopAccessors {
  getBody(loop: ExpressionRef): ExpressionRef;
  setBody(loop: ExpressionRef, body: ExpressionRef): void;
}
/** binaryen.js has these, its typings do not. */
const Loop = (binaryen as unknown as { Loop: LoopAccessors }).Loop;

/** Adds the fuel counter global (initially 0: the host sets it before every call). */
export function addFuelGlobal(module: binaryen.Module, internalName: string): void {
  module.addGlobal(internalName, binaryen.i64, true, module.i64.const(0n));
}

/** Charges fuel at the entry of every defined function and at every loop header. */
export function meterFunctions(module: binaryen.Module, fuelGlobal: string): void {
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i);
    const body = binaryen.Function.getBody(func);
    if (!body) continue; // an import
    const loops: ExpressionRef[] = [];
    binaryen.Function.setBody(func, charged(module, fuelGlobal, body, loops));
    // Iterative, not recursive: a hostile module may nest loops arbitrarily deep.
    for (let loop = loops.pop(); loop !== undefined; loop = loops.pop()) {
      Loop.setBody(loop, charged(module, fuelGlobal, Loop.getBody(loop), loops));
    }
  }
}

/** `region` preceded by its charge; the loops found inside it (not yet charged) go to `loops`. */
function charged(module: binaryen.Module, fuelGlobal: string, region: ExpressionRef, loops: ExpressionRef[]): ExpressionRef {
  const cost = regionCost(region, loops);
  if (cost === 0) return region; // nothing here can run more than once without passing another charge
  const fuel = (): ExpressionRef => module.global.get(fuelGlobal, binaryen.i64);
  return module.block(
    null,
    [
      module.global.set(fuelGlobal, module.i64.sub(fuel(), module.i64.const(BigInt(cost)))),
      module.if(module.i64.lt_s(fuel(), module.i64.const(0n)), module.unreachable()),
      region,
    ],
    binaryen.getExpressionType(region),
  );
}

/** Instructions in `region` outside nested loops; the nested loops are appended to `loops`. */
function regionCost(region: ExpressionRef, loops: ExpressionRef[]): number {
  let cost = 0;
  const pending = [region];
  for (let expr = pending.pop(); expr !== undefined; expr = pending.pop()) {
    const id = binaryen.getExpressionId(expr);
    if (id === binaryen.LoopId) {
      loops.push(expr);
      continue;
    }
    if (!FREE_KINDS.has(id)) cost++;
    pushChildren(expr, pending);
  }
  return cost;
}
