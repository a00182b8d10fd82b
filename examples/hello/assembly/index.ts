// Stateless: every request gets a greeting that echoes what it asked for.
import { request, response } from "flick";

export function flick_handle(): void {
  response.text("hello from flick: " + request.method + " " + request.path + "\n");
}
