/**
 * Keys pinned to a node by `flick migrate INSTANCE --to NODE`, kept in the store under
 * `/flick/key-pins/APP/KEY` so that every node forwards the key's requests there. A pin counts
 * only while its node is a live member: when that node leaves, the key falls back to its
 * rendezvous owner (and the pin comes back into force if the node rejoins under the same name).
 */
import type { Store, Watch } from '../control/store/store.js';
import type { KeyDirectory, KeyPin } from './key-directory.js';

export const PINS_PREFIX = '/flick/key-pins/';

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
  private watch: Watch | null = null;

  constructor(
    private readonly store: Store,
    private readonly directory: KeyDirectory,
  ) {}

  /** Reads every pin, then follows changes from the next revision. */
  async start(): Promise<void> {
    const revision = await this.store.revision();
    for (const kv of await this.store.list(PINS_PREFIX)) this.apply(kv.key, kv.value);
    const watch = await this.store.watch(PINS_PREFIX, { fromRevision: revision + 1 });
    this.watch = watch;
    void (async () => {
      try {
        for await (const ev of watch) this.apply(ev.key, ev.type === 'put' ? ev.value : null);
      } catch {
        // The store closed (or compacted past us): pins stop changing here, routing goes on.
      }
    })();
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
    await this.watch?.close();
  }

  private apply(storeKey: string, value: Uint8Array | null): void {
    const id = parse(storeKey);
    if (!id) return;
    this.directory.setPin(id.app, id.key, value ? (JSON.parse(dec.decode(value)) as KeyPin) : null);
  }
}
