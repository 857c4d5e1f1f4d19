import { CST, isMap, isScalar, LineCounter, Lexer, parseDocument, visit, type Document } from 'yaml';
import { SpecValidationError, type SluiceErrorCode, type ValidationIssue } from '../errors.js';
import { boundedIssues } from './validationIssues.js';

/**
 * Limits on a document before and while it is parsed. The YAML composer, `toJS` and every reader after them recurse
 * once per nesting level, and V8 dies with an unrecoverable "RegExpCompiler Allocation failed" when a regular
 * expression is first compiled near the end of the stack (a 10 kB spec nested 5,000 deep killed the daemon). So the
 * depth, the size, the number of aliases and of scalars are all checked by a linear, non-recursive pass over the
 * lexer's tokens before the document is composed, and what aliases expand to is bounded after it.
 */
export interface DocumentLimits {
  /** UTF-8 bytes of the text. */
  bytesMax: number;
  /** Nesting of collections (a flat mapping is depth 1). */
  depthMax: number;
  /** `*alias` references: the YAML composer resolves each by scanning every node before it, so they are few. */
  aliasesMax: number;
  /** Scalars (keys and values): bounds the composed document's size whatever the text's layout. */
  scalarsMax: number;
  /** Characters of the value once aliases are expanded (its size as JSON, roughly). */
  expandedCharsMax: number;
}

/**
 * A rollout spec's limits. Real specs are a few kB and nest about 8 deep; 128 KiB holds 50 stages of several gates
 * each and takes about 0.2 s to parse on one core, which bounds what one request can cost.
 */
export const SPEC_LIMITS: DocumentLimits = {
  bytesMax: 128 * 1024,
  depthMax: 32,
  aliasesMax: 64,
  scalarsMax: 10_000,
  expandedCharsMax: 512 * 1024,
};

/** Nesting that JSON request bodies and NDJSON lines may have; none of the API's bodies needs more than 3. */
export const JSON_DEPTH_MAX = 32;

/** A problem found before parsing: what exceeded its limit, and on which line. */
export interface DocumentBoundsProblem {
  message: string;
  line: number;
}

/**
 * Checks the size, nesting depth, aliases and scalars of a YAML (or JSON) text from the lexer's tokens, without
 * composing it: linear time, no recursion, and it stops at the first limit exceeded. The depth it computes is an
 * upper bound of the real one (at most twice it for block collections), so a document it passes can be composed.
 */
export function yamlBoundsProblem(text: string, limits: DocumentLimits): DocumentBoundsProblem | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.bytesMax) return { line: 1, message: `document is ${bytes} bytes; at most ${limits.bytesMax} are accepted` };
  let line = 1;
  let column = 0;
  let flowDepth = 0;
  let aliases = 0;
  let scalars = 0;
  let atLineStart = true;
  let nodeColumn = 0;
  let pendingNode = false;
  let scalarSourceNext = false;
  // Columns of the block collections that may still be open, non-decreasing. A block collection is opened by `-`,
  // `?` or the `:` after an implicit key, and closed by a line that starts left of it. At most two open block
  // collections share a column (a mapping and the sequence that is one of its values), so equal columns are kept at
  // most twice: the count is then at least the real depth and at most about twice it.
  const open: number[] = [];
  const push = (at: number): void => {
    if (open.length >= 2 && open[open.length - 1] === at && open[open.length - 2] === at) return;
    open.push(at);
  };
  for (const token of new Lexer().lex(text)) {
    // The lexer marks a document (\x02), a scalar's source (\x1f) and a flow error end (\x18) with one control character.
    if (token.length === 1 && token.charCodeAt(0) < 0x20 && token !== '\n' && token !== '\r' && token !== '\t') {
      if (token === '\x1f') scalarSourceNext = true;
      continue;
    }
    const type = scalarSourceNext ? 'scalar' : CST.tokenType(token);
    scalarSourceNext = false;
    const startColumn = column;
    const lastNewline = token.lastIndexOf('\n');
    if (lastNewline === -1) column += token.length;
    else {
      for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line++;
      column = token.length - lastNewline - 1;
    }
    if (type === 'newline') {
      atLineStart = true;
      continue;
    }
    if (type === 'space' || type === 'comment' || type === 'byte-order-mark' || type === 'directive-line') continue;
    if (type === 'doc-start' || type === 'doc-end') {
      open.length = 0;
      continue;
    }
    if (atLineStart) {
      atLineStart = false;
      if (flowDepth === 0) {
        while (open.length > 0 && open[open.length - 1]! > startColumn) open.pop();
        nodeColumn = startColumn;
        pendingNode = false;
      }
    }
    switch (type) {
      case 'flow-map-start':
      case 'flow-seq-start':
        flowDepth++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flowDepth > 0) flowDepth--;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        if (flowDepth === 0) {
          push(startColumn);
          pendingNode = true;
        }
        break;
      case 'map-value-ind':
        if (flowDepth === 0) push(nodeColumn);
        break;
      case 'alias':
        if (++aliases > limits.aliasesMax) return { line, message: `more than ${limits.aliasesMax} aliases (*name); write the values out instead` };
        break;
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'block-scalar-header':
        if (++scalars > limits.scalarsMax) return { line, message: `more than ${limits.scalarsMax} values; a document this large is not accepted` };
        break;
      default:
        break;
    }
    if (pendingNode && type !== 'seq-item-ind' && type !== 'explicit-key-ind' && type !== 'map-value-ind') {
      // The first node after a `- ` or `? ` on this line: a `:` after it makes a mapping whose keys start here.
      nodeColumn = startColumn;
      pendingNode = false;
    }
    if (open.length + flowDepth > limits.depthMax) {
      return { line, message: `nested deeper than ${limits.depthMax} levels; no Sluice document needs more than a few` };
    }
  }
  return undefined;
}

/**
 * The nesting depth problem of a JSON text, found by counting brackets outside strings (linear, no recursion, stops at
 * the limit), or undefined. Text that is not JSON is left to JSON.parse to refuse.
 */
export function jsonDepthProblem(text: string, depthMax: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > depthMax) return `nested deeper than ${depthMax} levels`;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return undefined;
}

/** A parsed YAML document with what its messages need: the composed document and the line of any offset. */
export interface BoundedYaml {
  value: unknown;
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * Parses YAML or JSON text within `limits`, refusing with SpecValidationError(`code`) — every problem with its line —
 * a text too large or deep, with too many aliases, duplicate keys, a syntax error, aliases that expand too far or
 * refer to their own ancestor. `source` names the document in messages ("request body", a file name).
 */
export function parseBoundedYaml(text: string, limits: DocumentLimits, source: string | undefined, code: SluiceErrorCode): BoundedYaml {
  const bounds = yamlBoundsProblem(text, limits);
  if (bounds) throw new SpecValidationError([{ path: '', message: bounds.message, line: bounds.line }], source, code);
  const lineCounter = new LineCounter();
  // yaml's own duplicate-key check compares every key with every other (quadratic); ours below uses a Set.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const issues: ValidationIssue[] = doc.errors.map((e) => ({
    path: '',
    message: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`,
    line: lineCounter.linePos(e.pos[0]).line,
  }));
  if (issues.length === 0) issues.push(...duplicateKeyIssues(doc, lineCounter));
  if (issues.length > 0) throw new SpecValidationError(boundedIssues(issues), source, code);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.aliasesMax });
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb or an alias to an undefined anchor.
    throw new SpecValidationError([{ path: '', message: `YAML aliases: ${(error as Error).message}` }], source, code);
  }
  const expanded = expandedSizeProblem(value, limits.expandedCharsMax);
  if (expanded) throw new SpecValidationError([{ path: '', message: expanded }], source, code);
  return { value, doc, lineCounter };
}

function duplicateKeyIssues(doc: Document, lineCounter: LineCounter): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  // visit recurses once per level; the depth was bounded above.
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? JSON.stringify(pair.key.value) : String(pair.key);
        if (seen.has(key)) {
          const range = isScalar(pair.key) ? pair.key.range : undefined;
          issues.push({ path: '', message: `YAML syntax: map keys must be unique (${key.length > 60 ? `${key.slice(0, 57)}...` : key} is repeated)`, ...(range ? { line: lineCounter.linePos(range[0]).line } : {}) });
        }
        seen.add(key);
      }
    },
  });
  return issues;
}

/**
 * Walks a parsed value without recursion and stops once it has counted more than `charsMax` characters, so an alias
 * that makes one small node appear many times cannot become a huge spec in the log. A value that contains itself
 * (an alias to its own ancestor) is refused too, since it cannot be stored as JSON.
 */
export function expandedSizeProblem(value: unknown, charsMax: number): string | undefined {
  let chars = 0;
  const stack: { value: unknown; ancestors: ReadonlySet<object> }[] = [{ value, ancestors: new Set() }];
  while (stack.length > 0) {
    const { value: node, ancestors } = stack.pop()!;
    if (typeof node === 'string') chars += node.length + 2;
    else if (node === null || typeof node !== 'object') chars += String(node).length;
    else {
      if (ancestors.has(node)) return 'an alias refers to a node that contains it; such a document has no JSON form';
      const inner = new Set(ancestors).add(node);
      const entries = Array.isArray(node) ? node : node instanceof Map ? [...node.keys(), ...node.values()] : Object.entries(node).flat();
      chars += 2 + entries.length;
      for (const entry of entries) stack.push({ value: entry, ancestors: inner });
    }
    if (chars > charsMax) return `the document's aliases expand it to more than ${charsMax} characters; write it without them or make it smaller`;
  }
  return undefined;
}
