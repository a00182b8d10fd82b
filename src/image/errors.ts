/**
 * Typed errors of the image layer. Each names what is wrong in one sentence and carries a `hint`
 * a person can act on; the CLI prints both (see src/cli/errors.ts `isHinted`). Loaders tell the
 * kinds apart with `instanceof` and `code`, never by parsing messages.
 */

/** Where a manifest was read: from `flick.json` while building, or from an image while loading. */
export type ManifestOrigin = 'build' | 'load';

export type ManifestErrorCode =
  /** The manifest is malformed: wrong type, out of range, unknown or missing field. */
  | 'invalid_manifest'
  /** The manifest is valid but asks for more than this node allows. */
  | 'exceeds_node_limit';

export class ManifestError extends Error {
  readonly code: ManifestErrorCode;
  /** Dotted path of the offending field, e.g. `resources.memoryMiB`, `routes[2]`; '' for the whole manifest. */
  readonly path: string;
  readonly hint: string;
  readonly origin: ManifestOrigin;
  constructor(code: ManifestErrorCode, origin: ManifestOrigin, path: string, problem: string, hint: string) {
    super(`${origin === 'build' ? 'flick.json' : 'image manifest'}: ${path ? `${path} ` : ''}${problem}`);
    this.name = 'ManifestError';
    this.code = code;
    this.path = path;
    this.hint = hint;
    this.origin = origin;
  }
}

export type ImageErrorCode =
  | 'too_large'
  | 'bad_magic'
  | 'unsupported_version'
  | 'truncated'
  | 'trailing_data'
  | 'unknown_section'
  | 'duplicate_section'
  | 'section_order'
  | 'missing_section'
  | 'section_too_large'
  | 'bad_utf8'
  | 'bad_manifest_json'
  | 'manifest_not_canonical'
  | 'bad_file_tree'
  | 'bad_code';

export class ImageError extends Error {
  readonly code: ImageErrorCode;
  readonly hint: string;
  constructor(code: ImageErrorCode, message: string, hint: string) {
    super(message);
    this.name = 'ImageError';
    this.code = code;
    this.hint = hint;
  }
}

export type BuildErrorCode =
  | 'no_app_file'
  | 'bad_app_file'
  | 'compile_failed'
  | 'command_failed'
  | 'missing_output'
  | 'bad_output'
  | 'bad_files_dir';

/** A build could not produce an image (manifest problems are ManifestErrors instead). */
export class BuildError extends Error {
  readonly code: BuildErrorCode;
  readonly hint: string;
  constructor(code: BuildErrorCode, message: string, hint: string) {
    super(message);
    this.name = 'BuildError';
    this.code = code;
    this.hint = hint;
  }
}
