// flick SDK for AssemblyScript: `import { request, response, kv, log, state, messaging } from "flick"`.
// An app exports `flick_handle(): void` (called once per request) and optionally `flick_init(): void`
// (called once after the instance starts). Module-level variables persist between requests.
import "./runtime";
export { Header, Request, request } from "./request";
export { Response, response } from "./response";
import * as kv from "./kv";
import * as log from "./log";
import * as state from "./state";
import * as messaging from "./messaging";
export { kv, log, messaging, state };
