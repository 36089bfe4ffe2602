// A Word file is a zip archive: before mammoth inflates and parses its XML (a 150 MB document.xml took 4.6 GB), the
// parts it parses are inflated here and counted, and nothing kept. The archive's central directory is read by hand;
// an archive this cannot read is left to mammoth, which says why it is unreadable.
import { inflatedSize } from './inflate.js';

const CENTRAL_END = 0x06054b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_ENTRY = 0x04034b50;

/** An entry of the central directory: its name, how it is stored, and where its data starts. */
interface Entry {
  name: string;
  method: number;
  compressed: number;
  local: number;
}

/** The central directory's entries, or null when the bytes are not a zip archive this can read. */
function entriesOf(zip: Buffer): Entry[] | null {
  const from = Math.max(0, zip.length - 22 - 65535);
  let end = -1;
  for (let at = zip.length - 22; at >= from && end < 0; at--) if (zip.readUInt32LE(at) === CENTRAL_END) end = at;
  if (end < 0) return null;
  const entries: Entry[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL_ENTRY) return null;
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressed: zip.readUInt32LE(at + 20),
      local: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** The data of an entry as stored (to the archive's end when its size is not given: zip64), or null. */
function dataOf(zip: Buffer, entry: Entry): Buffer | null {
  if (entry.local + 30 > zip.length || zip.readUInt32LE(entry.local) !== LOCAL_ENTRY) return null;
  const start = entry.local + 30 + zip.readUInt16LE(entry.local + 26) + zip.readUInt16LE(entry.local + 28);
  return zip.subarray(start, entry.compressed === 0xffffffff ? zip.length : Math.min(zip.length, start + entry.compressed));
}

/** Whether mammoth parses a part: the XML and relationships, not the images and embedded files. */
const parsed = (name: string) => /\.(?:xml|rels)$/i.test(name);

/**
 * The bytes the XML parts of a zip archive inflate to together, counted up to just past `limit` (each entry's data
 * inflated, whatever size the archive declares for it); null when it is not an archive this can read.
 */
export async function zipXmlBytes(zip: Buffer, limit: number): Promise<number | null> {
  const entries = entriesOf(zip);
  if (!entries) return null;
  let total = 0;
  for (const entry of entries.filter((e) => parsed(e.name))) {
    const data = dataOf(zip, entry);
    if (!data) return null;
    total += entry.method === 0 ? data.length : await inflatedSize(data, limit - total, true);
    if (total > limit) break;
  }
  return total;
}
