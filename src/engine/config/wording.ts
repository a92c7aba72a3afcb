/** How config messages name fields, values and choices. */
import damerauLevenshtein from 'damerau-levenshtein';
import type { Node } from 'jsonc-parser';

/** `mounts[0]` + `env` is `mounts[0].env`; keys that are not identifiers use `["A-B"]`. */
export function join(field: string, key: string): string {
  if (field === '') return key;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${field}.${key}` : `${field}[${JSON.stringify(key)}]`;
}

/** The JSON type of a node, with the value itself when it is a short scalar. */
export function describe(node: Node): string {
  if (node.type === 'object' || node.type === 'array' || node.type === 'null') return node.type;
  const text = JSON.stringify(node.value);
  return `${node.type} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

export function orList(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

export function andList(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/** `; did you mean "prefix"?` when `word` is an obvious typo of one of `known`, else ''. */
export function suggest(word: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    // Up to two edits, and fewer than half the word: "prefx" is "prefix", "port" is not "host".
    if (distance < bestDistance && distance <= 2 && distance * 2 < candidate.length) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best ? `; did you mean "${best}"?` : '';
}

/**
 * Edits (insert, delete, replace, swap two neighbours) between two words: "prot" is one from "port".
 * damerau-levenshtein rather than fastest-levenshtein because a swap must count as one edit; its
 * early exit (a diagonal cell over 4) cannot hide a distance of 2 or less, the most `suggest` takes.
 */
function editDistance(a: string, b: string): number {
  return damerauLevenshtein(a, b).steps;
}
