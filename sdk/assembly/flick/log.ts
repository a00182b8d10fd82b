// Log lines go to the app's log, tagged with the instance; levels match docs/abi.md.
import { LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN, log } from "./abi";
import { utf8 } from "./fetch";

function write(level: i32, message: string): void {
  const b = utf8(message);
  log(level, changetype<usize>(b), b.byteLength);
}

export function debug(message: string): void { write(LOG_DEBUG, message); }
export function info(message: string): void { write(LOG_INFO, message); }
export function warn(message: string): void { write(LOG_WARN, message); }
export function error(message: string): void { write(LOG_ERROR, message); }
