// `sluice run --watch`: a reload once the config files have changed and then stayed quiet a while.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Calls `onChange` once no file of `files` has changed for `quietMs` after a change, so an editor's
 * several writes (truncate, write, rename) make one reload and a half-written file is not read.
 * The directories are watched, not the files: an editor that saves by renaming a new file over
 * the old one would leave a watch on the file itself watching the replaced inode.
 */
export function watchFiles(files: readonly string[], quietMs: number, onChange: () => void): { close(): void } {
  const names = new Map<string, Set<string>>();
  for (const file of files.map((f) => resolve(f))) {
    const dir = dirname(file);
    names.set(dir, (names.get(dir) ?? new Set()).add(basename(file)));
  }
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, quietMs);
  };
  const watchers: FSWatcher[] = [...names].map(([dir, watched]) =>
    // Without a file name (some platforms leave it out) any change in the directory counts.
    watch(dir, { persistent: false }, (_event, name) => (name === null || watched.has(name.toString()) ? changed() : undefined)),
  );
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
