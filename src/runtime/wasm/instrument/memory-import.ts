/**
 * Rewrites a module so that its linear memory is imported as `flick`.`memory`: the host then hands
 * each instance a ready memory from a pool instead of paying for an allocation at spawn, and the
 * import's maximum is the manifest's limit, so the engine refuses any larger memory and
 * `memory.grow` past the limit returns -1.
 *
 * - A defined memory becomes the import, same initial size; an imported one is renamed to it.
 * - A module without memory gets a 0-page import, so every instance has a memory the host owns
 *   (snapshots and WASI never need a special case); it cannot grow, as the module has no
 *   instruction that could touch it.
 * - Several memories, shared or 64-bit memories are refused: the pool hands out one plain memory.
 * Exports are untouched: memory index 0 is the same memory before and after.
 */
import { SandboxError } from '../../errors.js';
import {
  ByteReader,
  ByteWriter,
  IMPORT_KIND,
  LIMITS_64,
  LIMITS_HAS_MAX,
  LIMITS_SHARED,
  SECTION,
  encodeSection,
  joinModule,
  splitSections,
  type Limits,
  type Section,
} from './binary.js';
import { ModuleRejectedError } from './errors.js';

export const MEMORY_IMPORT = { module: 'flick', name: 'memory' } as const;

/** The largest memory a 32-bit module can address, in 64 KiB pages. */
export const MAX_WASM32_PAGES = 65536;

export interface MemoryShape {
  initial: number;
  maximum: number;
}

export interface ImportedMemory {
  bytes: Uint8Array;
  memory: MemoryShape;
}

interface ImportEntry {
  module: string;
  name: string;
  kind: number;
  /** The entry's encoded bytes, copied unchanged when it is kept. */
  raw: Uint8Array;
  /** Present for memory imports. */
  limits: Limits | null;
}

export function importMemoryFromHost(wasm: Uint8Array, maxMemoryPages: number): ImportedMemory {
  const sections = splitSections(wasm);
  const importSection = sections.find((s) => s.id === SECTION.import);
  const imports = importSection ? readImports(importSection) : [];
  const memorySection = sections.find((s) => s.id === SECTION.memory);
  const defined = memorySection ? readMemories(memorySection) : [];
  const importedMemories = imports.filter((i) => i.kind === IMPORT_KIND.memory);

  const declared = [...importedMemories.map((i) => i.limits!), ...defined];
  if (declared.length > 1) {
    throw new ModuleRejectedError(
      'unsupported_module',
      `the module has ${declared.length} memories; flick instances have exactly one`,
      'build the module for a single linear memory (no multi-memory)',
    );
  }
  const limits = declared[0] ?? { flags: LIMITS_HAS_MAX, initial: 0, maximum: 0 };
  checkPlainMemory(limits);
  const memory = memoryShape(limits, maxMemoryPages);

  const clash = imports.find((i) => i.kind !== IMPORT_KIND.memory && i.module === MEMORY_IMPORT.module && i.name === MEMORY_IMPORT.name);
  if (clash) {
    throw new ModuleRejectedError(
      'reserved_name',
      `the module imports "${MEMORY_IMPORT.module}"."${MEMORY_IMPORT.name}" as something other than a memory`,
      'rename that import: the node provides the instance memory under this name',
    );
  }

  const kept = imports.filter((i) => i.kind !== IMPORT_KIND.memory);
  const importPayload = new ByteWriter().leb(kept.length + 1);
  for (const entry of kept) importPayload.bytes(entry.raw);
  importPayload
    .name(MEMORY_IMPORT.module)
    .name(MEMORY_IMPORT.name)
    .u8(IMPORT_KIND.memory)
    .u8(LIMITS_HAS_MAX)
    .leb(memory.initial)
    .leb(memory.maximum);
  const newImportSection = encodeSection(SECTION.import, importPayload.toBytes());

  return { bytes: joinModule(wasm, placeImportSection(sections, newImportSection)), memory };
}

/** The shape of the host's memory: the module's initial size, the maximum capped by the manifest. */
function memoryShape(limits: Limits, maxMemoryPages: number): MemoryShape {
  if (limits.initial > maxMemoryPages) {
    throw new SandboxError(
      'memory_limit_exceeded',
      `the module needs ${limits.initial} pages (${pagesToMiB(limits.initial)} MiB) of memory at start, more than its limit of ${maxMemoryPages} pages (${pagesToMiB(maxMemoryPages)} MiB)`,
      `raise resources.memoryMiB in flick.json to at least ${Math.ceil(pagesToMiB(limits.initial))}, or build the module with a smaller initial memory`,
      500,
    );
  }
  return { initial: limits.initial, maximum: Math.min(limits.maximum ?? MAX_WASM32_PAGES, maxMemoryPages) };
}

function checkPlainMemory(limits: Limits): void {
  if (limits.flags & LIMITS_SHARED) {
    throw new ModuleRejectedError('unsupported_module', 'the module uses a shared memory (threads)', 'build the module without threads (no -pthread / shared memory)');
  }
  if (limits.flags & LIMITS_64) {
    throw new ModuleRejectedError('unsupported_module', 'the module uses a 64-bit memory (memory64)', 'build the module for wasm32');
  }
}

function readImports(section: Section): ImportEntry[] {
  const r = new ByteReader(section.payload);
  const count = r.leb();
  const entries: ImportEntry[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const module = r.name();
    const name = r.name();
    const kind = r.u8();
    let limits: Limits | null = null;
    switch (kind) {
      case IMPORT_KIND.func:
        r.leb();
        break;
      case IMPORT_KIND.table:
        r.valueType();
        r.limits();
        break;
      case IMPORT_KIND.memory:
        limits = r.limits();
        break;
      case IMPORT_KIND.global:
        r.valueType();
        r.u8();
        break;
      case IMPORT_KIND.tag:
        r.u8();
        r.leb();
        break;
      default:
        throw new ModuleRejectedError('unsupported_module', `the module has an import of unknown kind ${kind}`, 'build the module for WebAssembly 2.0 without proposals this node does not run');
    }
    entries.push({ module, name, kind, raw: section.payload.subarray(start, r.pos), limits });
  }
  return entries;
}

function readMemories(section: Section): Limits[] {
  const r = new ByteReader(section.payload);
  const count = r.leb();
  return Array.from({ length: count }, () => r.limits());
}

/** The module's sections with the memory section dropped and the import section in its place in the order. */
function placeImportSection(sections: Section[], importSection: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let placed = false;
  for (const s of sections) {
    if (s.id === SECTION.memory) continue;
    if (s.id === SECTION.import) {
      out.push(importSection);
      placed = true;
      continue;
    }
    // Only custom sections and the type section may precede the import section.
    if (!placed && s.id !== SECTION.custom && s.id !== SECTION.type) {
      out.push(importSection);
      placed = true;
    }
    out.push(s.raw);
  }
  if (!placed) out.push(importSection);
  return out;
}

function pagesToMiB(pages: number): number {
  return pages / 16;
}
