/**
 * The single-key operations expressed as transactions, so each backend implements the atomic
 * part once (`transact`) and put / putIf / delete mean exactly the same on both: backends extend
 * `TransactionalStore`.
 */
import type { CasResult, PutOptions, Store, TxnRequest, TxnResult, TxnWrite } from './store.js';

type Transact = (request: TxnRequest) => Promise<TxnResult>;

function putWrite(key: string, value: Uint8Array, options?: PutOptions): TxnWrite {
  return { op: 'put', key, value, ...(options?.lease ? { lease: options.lease } : {}) };
}

function toCas(result: TxnResult): CasResult {
  return result.ok ? result : { ok: false, current: result.conflicts[0].current };
}

async function putVia(transact: Transact, key: string, value: Uint8Array, options?: PutOptions): Promise<number> {
  const result = await transact({ conditions: [], writes: [putWrite(key, value, options)] });
  if (!result.ok) throw new Error('a transaction without conditions reported a conflict');
  return result.revision;
}

async function putIfVia(
  transact: Transact,
  key: string,
  value: Uint8Array,
  expectedRevision: number,
  options?: PutOptions,
): Promise<CasResult> {
  const conditions = [{ key, revision: expectedRevision }];
  return toCas(await transact({ conditions, writes: [putWrite(key, value, options)] }));
}

async function deleteVia(
  transact: Transact,
  key: string,
  options?: { expectedRevision?: number },
): Promise<CasResult> {
  const conditions = options?.expectedRevision === undefined ? [] : [{ key, revision: options.expectedRevision }];
  return toCas(await transact({ conditions, writes: [{ op: 'delete', key }] }));
}

/** put / putIf / delete for any backend that implements `transact`. */
export abstract class TransactionalStore implements Pick<Store, 'put' | 'putIf' | 'delete' | 'transact'> {
  abstract transact(request: TxnRequest): Promise<TxnResult>;

  put(key: string, value: Uint8Array, options?: PutOptions): Promise<number> {
    return putVia((r) => this.transact(r), key, value, options);
  }

  putIf(key: string, value: Uint8Array, expectedRevision: number, options?: PutOptions): Promise<CasResult> {
    return putIfVia((r) => this.transact(r), key, value, expectedRevision, options);
  }

  delete(key: string, options?: { expectedRevision?: number }): Promise<CasResult> {
    return deleteVia((r) => this.transact(r), key, options);
  }
}
