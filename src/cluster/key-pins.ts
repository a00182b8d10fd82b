/**
 * Keys pinned to a node by `flick migrate INSTANCE --to NODE`, kept in the store under
 * `/flick/key-pins/APP/KEY` so that every node forwards the key's requests there. A pin counts
 * only while its node is a live member: when that node leaves, the key falls back to its
 * rendezvous owner (and the pin comes back into force if the node rejoins under the same name).
 */
import type { Store } from '../control/store/store.js';
import { PrefixFollower } from '../control/store/prefix-follower.js';
import type { KeyDirectory, KeyPin } from './key-directory.js';

export const PINS_PREFIX = '/flick/key-pins/';
/** How often the pins are read again to catch a watch that stopped delivering. */
const AUDIT_MS = 5_000;

const enc = new TextEncoder();
const dec = new TextDecoder();

export const pinKey = (app: string, key: string): string => `${PINS_PREFIX}${encodeURIComponent(app)}/${encodeURIComponent(key)}`;

function parse(storeKey: string): { app: string; key: string } | null {
  const rest = storeKey.slice(PINS_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  return { app: decodeURIComponent(rest.slice(0, slash)), key: decodeURIComponent(rest.slice(slash + 1)) };
}

export class KeyPins {
  private follower: PrefixFollower | null = null;

  constructor(
    private readonly store: Store,
    private readonly directory: KeyDirectory,
  ) {}

  /** Reads every pin, then follows them (read again should the watch fail or lag: prefix-follower.ts). */
  async start(): Promise<void> {
    this.follower = await PrefixFollower.start(this.store, PINS_PREFIX, (ev) => this.apply(ev.key, ev.type === 'put' ? ev.value : null), { auditMs: AUDIT_MS });
  }

  async pin(app: string, key: string, pin: KeyPin): Promise<void> {
    await this.store.put(pinKey(app, key), enc.encode(JSON.stringify(pin)));
    this.directory.setPin(app, key, pin);
  }

  async unpin(app: string, key: string): Promise<void> {
    await this.store.delete(pinKey(app, key));
    this.directory.setPin(app, key, null);
  }

  async close(): Promise<void> {
    await this.follower?.close();
  }

  private apply(storeKey: string, value: Uint8Array | null): void {
    const id = parse(storeKey);
    if (!id) return;
    this.directory.setPin(id.app, id.key, value ? (JSON.parse(dec.decode(value)) as KeyPin) : null);
  }
}
