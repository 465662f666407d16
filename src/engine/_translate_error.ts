/**
 * Error translation: what a SQLite binding or the file system threw becomes
 * one of ours ({@linkcode Timeout}, {@linkcode DiskCacheError}) with a
 * message that says what went wrong and what to do. Errors that are already
 * ours, and argument errors, pass through unchanged.
 *
 * @module
 */
import { SQLITE_BUSY, SQLITE_CANTOPEN, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_LOCKED, SQLITE_NOTADB, SQLITE_READONLY, type SqliteDriver } from "../driver.ts";
import { DiskCacheError, Timeout } from "../errors.ts";

/** Where an error happened: the cache a message names. */
export interface ErrorPlace {
  readonly driver: SqliteDriver;
  readonly directory: string;
  readonly dbPath: string;
  readonly timeout: number;
}

/** Turns a binding error into one of ours (Timeout, DiskCacheError) or passes it on. */
export function translateSqliteError(place: ErrorPlace, error: unknown, op: string): unknown {
  if (error instanceof DiskCacheError || error instanceof TypeError || error instanceof RangeError) return error;
  const code = place.driver.errorCode(error);
  if (code === undefined) return error;
  const msg = (error as Error).message;
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new Timeout(
        `Cannot ${op}: the database "${place.dbPath}" stayed locked by another connection for more than ${place.timeout} ms; retry, raise the "timeout" option, or spread writers over a FanoutCache`,
        { cause: error },
      );
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return new DiskCacheError(
        `Cannot ${op}: the database "${place.dbPath}" is corrupt (${msg}); move the directory aside and open a fresh cache (a cache's data is disposable)`,
        { cause: error },
      );
    case SQLITE_FULL:
      return new DiskCacheError(`Cannot ${op}: the disk holding "${place.directory}" is full; free space and retry`, {
        cause: error,
      });
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return new DiskCacheError(
        `Cannot ${op}: the database "${place.dbPath}" cannot be written or opened (${msg}); check the directory's permissions, or open it with { readonly: true }`,
        { cause: error },
      );
    default:
      return new DiskCacheError(`Cannot ${op}: SQLite failed on "${place.dbPath}": ${msg}`, { cause: error });
  }
}

/** Turns a file-system error of a value file (or of the database file) into one of ours. */
export function translateFileError(directory: string, error: unknown, op: string): unknown {
  const code = (error as { code?: string }).code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new DiskCacheError(`Cannot ${op}: the disk holding "${directory}" is full; free space and retry`, {
      cause: error,
    });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new DiskCacheError(
      `Cannot ${op}: "${directory}" cannot be written (${code}); check its permissions, or open it with { readonly: true }`,
      { cause: error },
    );
  }
  return error;
}
