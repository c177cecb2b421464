// Resource identity: two resources with the same attributes (in any order) are the same resource.
import type { KeyValue, Resource } from './types.js';
import { anyValueToString } from './attributes.js';

export function attributesKey(attrs: readonly KeyValue[] | undefined): string {
  if (!attrs || attrs.length === 0) return '';
  const parts = attrs.map((kv) => `${kv.key}\u0000${kv.value?.value ?? ''}\u0000${anyValueToString(kv.value)}`);
  parts.sort();
  return parts.join('\u0001');
}

export function resourceKey(resource: Resource | undefined, schemaUrl = ''): string {
  return `${schemaUrl}\u0002${attributesKey(resource?.attributes)}`;
}
