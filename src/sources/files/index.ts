// The manifest-folder source: a watched `Source` and one-shot loaders for the CLI.
export { FileSource } from './source.ts';
export type { FileSourceOptions } from './source.ts';
export { contentHash, dedupe, objectLabel, parseFile, parseManifests } from './parse.ts';
export type { ManifestLoad, ParsedDocument, ParsedFile } from './parse.ts';
export { isManifestName, listManifests, loadManifests, MANIFEST_EXTENSIONS } from './read.ts';
export type { Listing } from './read.ts';
export { combine, contributionOf } from './merge.ts';
export type { FileContribution, FileEntry } from './merge.ts';
