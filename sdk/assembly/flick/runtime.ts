// Replacements for AssemblyScript's `env` imports (abort, trace, seed), wired in with
// `--use abort=flickAbort --use trace=flickTrace --use seed=flickSeed` (see sdk/compile.mjs), so an
// app's only imports are in module "flick".
import { LOG_DEBUG, log, panic, random_seed } from "./abi";

// Abort must work when the heap is exhausted (the allocator aborts then), so it encodes into static
// space instead of allocating. UTF-8 takes at most 3 bytes per UTF-16 unit.
const MESSAGE_UNITS: i32 = 200;
const FILE_UNITS: i32 = 80;
const abortSpace: usize = memory.data((MESSAGE_UNITS + FILE_UNITS) * 3);

function encodeStatic(s: string | null, maxUnits: i32, dest: usize): i32 {
  if (s === null) return 0;
  const units = min(s.length, maxUnits);
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), units, dest);
}

// @ts-ignore: decorator
@global
function flickAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  const fileDest = abortSpace + MESSAGE_UNITS * 3;
  const messageLen = encodeStatic(message, MESSAGE_UNITS, abortSpace);
  const fileLen = encodeStatic(fileName, FILE_UNITS, fileDest);
  panic(abortSpace, messageLen, fileDest, fileLen, line, column);
  unreachable(); // panic does not return; this tells the compiler so
}

// @ts-ignore: decorator
@global
function flickTrace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let line = message;
  const values: f64[] = [a0, a1, a2, a3, a4];
  for (let i = 0; i < n && i < values.length; i++) line += " " + values[i].toString();
  const b = String.UTF8.encode(line);
  log(LOG_DEBUG, changetype<usize>(b), b.byteLength);
}

// @ts-ignore: decorator
@global
function flickSeed(): f64 {
  return random_seed();
}
