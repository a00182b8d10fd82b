/** Defaults shared by the commands that start or talk to a node. */
export const DEFAULT_PORT = 7070;
export const DEFAULT_DATA_DIR = process.env.FLICK_DATA ?? '.flick-data';
export const DEFAULT_SERVER = process.env.FLICK_SERVER ?? `http://127.0.0.1:${DEFAULT_PORT}`;
