/**
 * Files and folders that hold tenant data (the SQLite database, its folder, exports, collected
 * layouts) are created readable by their owner alone: 0600 files, 0700 folders.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates the folder (and missing parents) 0700; an existing folder keeps its mode. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates an empty 0600 file unless it exists, so a library that opens it later keeps that mode. */
export function touchPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
}
