// State in memory: the platform gives each key (header Flick-Key) its own instance, and the
// instance's globals survive from one request to the next (and across hibernation, via snapshots).
// A new release takes the count over through the state hooks (docs/abi.md, "State upgrade").
import { request, response, state } from "flick";

let count: i32 = 0;

export function flick_handle(): void {
  count++;
  const key = request.header("flick-key");
  const keyJson = key === null ? "null" : "\"" + escapeJson(key) + "\"";
  response.json("{\"key\":" + keyJson + ",\"count\":" + count.toString() + "}\n");
}

/** Hands the count to the next release as 4 bytes, little-endian: the layout every later version reads. */
export function flick_state_save(): void {
  const bytes = new Uint8Array(4);
  store<i32>(bytes.dataStart, count);
  state.save(bytes);
}

function escapeJson(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out;
}
