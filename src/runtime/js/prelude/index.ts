/**
 * The guest prelude: one script, run in every JS isolate before the app's bundle, that gives the
 * bare V8 context the Web-standard globals apps expect and the `__flickBoot` entry the host uses to
 * wire an instance up. The parts share one function scope, so later parts use earlier helpers.
 */
import { BOOT_SOURCE } from './boot.js';
import { ENCODING_SOURCE } from './encoding.js';
import { FETCH_API_SOURCE } from './fetch-api.js';
import { URL_SOURCE } from './url.js';

export const PRELUDE_SOURCE = `(function () {\n'use strict';\n${ENCODING_SOURCE}\n${URL_SOURCE}\n${FETCH_API_SOURCE}\n${BOOT_SOURCE}\n})();\n`;

/** Names the prelude installs on the global object (besides ECMAScript's own); tests check nothing else appears. */
export const PRELUDE_GLOBALS = ['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'Headers', 'Request', 'Response', 'console', 'crypto', 'fetch'] as const;
