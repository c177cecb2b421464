// Splits a list into consecutive groups whose summed size stays under a limit (and, optionally,
// whose length stays under a count), for backends with request caps. An item larger than the
// limit on its own still goes, alone.
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxSize: number, maxCount = Infinity): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const n = sizeOf(item);
    if (current.length > 0 && (size + n > maxSize || current.length >= maxCount)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
