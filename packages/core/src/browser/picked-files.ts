import { MemoryFiles } from '../io/model-files.js';

/** A File from an <input type="file" webkitdirectory> pick or a drop (DOM types, declared here). */
export interface PickedFile {
  name: string;
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A folder from showDirectoryPicker() (the File System Access API). */
export interface PickedDirectory {
  kind: 'directory';
  name: string;
  entries(): AsyncIterable<[string, { kind: 'file'; getFile(): Promise<PickedFile> } | PickedDirectory]>;
}

/**
 * The model folder a user picked, in memory: files of a directory pick (their paths below the
 * picked folder) or a directory handle, read recursively.
 */
export async function modelFilesFromPicked(picked: Iterable<PickedFile> | PickedDirectory): Promise<MemoryFiles> {
  const out: Array<[string, Uint8Array]> = [];
  let root = 'picked';
  if ('kind' in picked && picked.kind === 'directory') {
    root = picked.name;
    const walk = async (dir: PickedDirectory, prefix: string): Promise<void> => {
      for await (const [name, entry] of dir.entries()) {
        if (entry.kind === 'directory') await walk(entry, `${prefix}${name}/`);
        else out.push([`${prefix}${name}`, new Uint8Array(await (await entry.getFile()).arrayBuffer())]);
      }
    };
    await walk(picked, '');
  } else {
    for (const f of picked as Iterable<PickedFile>) {
      const rel = f.webkitRelativePath || f.name;
      const slash = rel.indexOf('/');
      if (slash > 0) root = rel.slice(0, slash);
      out.push([slash > 0 ? rel.slice(slash + 1) : rel, new Uint8Array(await f.arrayBuffer())]);
    }
  }
  return new MemoryFiles(root, out);
}
