// The input files of the reference job (shared/spec/reference-job.md "Input") below one
// input path, in input order: ascending byte order of the path relative to that input.
// Both peer engines take their file list from here so that "last in input order wins"
// means the same thing for them as for stocklake.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const kPattern = /\.(txt|csv|json)$/;

//! Returns [{ path, relative }] for every *.txt / *.csv / *.json file below `root`
//! (recursively), sorted by `relative` compared as UTF-8 bytes.
export function inputFiles(root) {
  const out = [];
  const walk = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), relative);
      else if (kPattern.test(entry.name)) out.push({ path: join(dir, entry.name), relative });
    }
  };
  walk(root, '');
  const bytes = (s) => Buffer.from(s, 'utf8');
  out.sort((a, b) => Buffer.compare(bytes(a.relative), bytes(b.relative)));
  return out;
}

//! The peers implement only the layout `stocklake generate` writes (the per-ticker "Huge
//! Stock Market Dataset" CSV); they refuse other inputs instead of silently mis-reading them.
export function requireGeneratedLayout(files) {
  const other = files.filter((f) => !f.relative.endsWith('.txt'));
  if (other.length > 0) {
    throw new Error(`compare: ${other.length} input file(s) such as '${other[0].relative}' are not .txt: ` +
                    'the peer implementations cover only the layout `stocklake generate` writes');
  }
}
