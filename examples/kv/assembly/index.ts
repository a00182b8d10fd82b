// A tiny key-value API over the "data" namespace the manifest grants:
//   GET /KEY reads, PUT /KEY stores the body, DELETE /KEY removes.
import { kv, log, request, response } from "flick";

const data = kv.open("data");

export function flick_handle(): void {
  const key = request.path.substring(1);
  if (key.length == 0) {
    response.text("usage: GET|PUT|DELETE /KEY\n", 400);
    return;
  }
  const method = request.method;
  if (method == "GET") {
    const value = data.getBytes(key);
    if (value === null) response.text("not found\n", 404);
    else response.bytes(value);
  } else if (method == "PUT") {
    data.put(key, request.bytes());
    log.info("stored " + key);
    response.status(204);
  } else if (method == "DELETE") {
    response.status(data.delete(key) ? 204 : 404);
  } else {
    response.header("allow", "GET, PUT, DELETE").text("method not allowed\n", 405);
  }
}
