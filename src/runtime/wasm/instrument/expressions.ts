/**
 * Child expressions of a binaryen expression, for walking function bodies. binaryen.js has no
 * generic child iterator and `getExpressionInfo` is slow (it calls every getter of the kind and
 * parses their names), so this table lists, per expression kind, the accessors that return
 * children. The accessor classes (`binaryen.Binary.getLeft`…) are part of binaryen.js but missing
 * from its typings, hence the narrow typed view below.
 *
 * A kind not in the table cannot be walked, so a loop hidden in its operands would escape
 * metering: such modules are refused (binaryen.js 132 has no accessors for table.fill/copy/init).
 */
import binaryen from 'binaryen';
import { ModuleRejectedError } from './errors.js';

type ExpressionRef = binaryen.ExpressionRef;
type ChildGetter = (expr: ExpressionRef) => ExpressionRef | ExpressionRef[];
type AccessorClass = Record<string, ChildGetter | undefined>;

/** Expression kind (binaryen class name) → accessors returning its child expressions. */
const CHILD_ACCESSORS: Record<string, readonly string[]> = {
  Nop: [],
  Unreachable: [],
  Pop: [],
  Const: [],
  LocalGet: [],
  GlobalGet: [],
  MemorySize: [],
  DataDrop: [],
  AtomicFence: [],
  RefNull: [],
  RefFunc: [],
  TableSize: [],
  Rethrow: [],
  Block: ['getChildren'],
  If: ['getCondition', 'getIfTrue', 'getIfFalse'],
  Loop: ['getBody'],
  Break: ['getCondition', 'getValue'],
  Switch: ['getCondition', 'getValue'],
  Call: ['getOperands'],
  CallIndirect: ['getTarget', 'getOperands'],
  LocalSet: ['getValue'],
  GlobalSet: ['getValue'],
  Load: ['getPtr'],
  Store: ['getPtr', 'getValue'],
  AtomicRMW: ['getPtr', 'getValue'],
  AtomicCmpxchg: ['getPtr', 'getExpected', 'getReplacement'],
  AtomicWait: ['getPtr', 'getExpected', 'getTimeout'],
  AtomicNotify: ['getPtr', 'getNotifyCount'],
  // SIMDExtract/SIMDReplace `getIndex` is a lane number, not an expression.
  SIMDExtract: ['getVec'],
  SIMDReplace: ['getVec', 'getValue'],
  SIMDShuffle: ['getLeft', 'getRight'],
  SIMDTernary: ['getA', 'getB', 'getC'],
  SIMDShift: ['getVec', 'getShift'],
  SIMDLoad: ['getPtr'],
  SIMDLoadStoreLane: ['getPtr', 'getVec'],
  MemoryInit: ['getDest', 'getOffset', 'getSize'],
  MemoryCopy: ['getDest', 'getSource', 'getSize'],
  MemoryFill: ['getDest', 'getValue', 'getSize'],
  Unary: ['getValue'],
  Binary: ['getLeft', 'getRight'],
  Select: ['getIfTrue', 'getIfFalse', 'getCondition'],
  Drop: ['getValue'],
  Return: ['getValue'],
  MemoryGrow: ['getDelta'],
  RefIsNull: ['getValue'],
  RefEq: ['getLeft', 'getRight'],
  RefAs: ['getValue'],
  TableGet: ['getIndex'],
  TableSet: ['getIndex', 'getValue'],
  TableGrow: ['getValue', 'getDelta'],
  Try: ['getBody', 'getCatchBodies'],
  Throw: ['getOperands'],
  TupleMake: ['getOperands'],
  TupleExtract: ['getTuple'],
};

/** Expression id → bound child accessors, built once; fails at load if binaryen.js lacks one. */
const childGetters: ReadonlyMap<number, readonly ChildGetter[]> = (() => {
  const api = binaryen as unknown as Record<string, AccessorClass | number | undefined>;
  const table = new Map<number, ChildGetter[]>();
  for (const [kind, names] of Object.entries(CHILD_ACCESSORS)) {
    const id = api[`${kind}Id`];
    if (typeof id !== 'number') throw new Error(`binaryen.js has no expression id ${kind}Id`);
    const cls = names.length ? (api[kind] as AccessorClass | undefined) : undefined;
    table.set(
      id,
      names.map((name) => {
        const getter = cls?.[name];
        if (!getter) throw new Error(`binaryen.js has no accessor ${kind}.${name}`);
        return getter;
      }),
    );
  }
  return table;
})();

/** Appends `expr`'s child expressions (absent optional ones skipped) to `out`. */
export function pushChildren(expr: ExpressionRef, out: ExpressionRef[]): void {
  const getters = childGetters.get(binaryen.getExpressionId(expr));
  if (!getters) {
    throw new ModuleRejectedError(
      'unsupported_module',
      `the module uses an instruction the node cannot meter (binaryen expression id ${binaryen.getExpressionId(expr)})`,
      'build the module without table.fill/table.copy/table.init and without GC or stack-switching proposals',
    );
  }
  for (const get of getters) {
    const child = get(expr);
    if (Array.isArray(child)) for (const c of child) out.push(c);
    else if (child) out.push(child);
  }
}
