// Trace and span ids are bytes; hex is for display and OTLP/JSON only.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function idToHex(id: Uint8Array | undefined | null): string {
  if (!id) return '';
  let out = '';
  for (let i = 0; i < id.length; i++) out += HEX[id[i]!];
  return out;
}

/** Parses a hex id; throws on odd length or non-hex characters so bad input is reported, not mangled. */
export function hexToId(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`invalid hex id "${hex}"`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function isEmptyId(id: Uint8Array | undefined | null): boolean {
  if (!id || id.length === 0) return true;
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}
