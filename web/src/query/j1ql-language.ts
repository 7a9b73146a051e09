// J1QL for CodeMirror 6: a stream tokenizer for highlighting (keywords, Class vs _type, strings,
// params, regexes), completion of _type/_class/verbs/properties from /schema, and diagnostics at the
// line and column the server reports.
import {
  autocompletion,
  type CompletionContext,
  type CompletionResult,
} from '@codemirror/autocomplete';
import {
  HighlightStyle,
  StreamLanguage,
  syntaxHighlighting,
  type StringStream,
} from '@codemirror/language';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import type { EditorState, Extension, TransactionSpec } from '@codemirror/state';
import { tags } from '@lezer/highlight';
import type { Schema } from '../api/types';

export const KEYWORDS = [
  'FIND',
  'UNIQUE',
  'WITH',
  'THAT',
  'AS',
  'WHERE',
  'RETURN',
  'HAVING',
  'ORDER',
  'BY',
  'SKIP',
  'LIMIT',
  'AND',
  'OR',
  'NOT',
  'TREE',
  'TO',
  'RELATES',
  'ASC',
  'DESC',
  'TRUE',
  'FALSE',
  'UNDEFINED',
  'COUNT',
  'MIN',
  'MAX',
  'SUM',
  'AVG',
];
const KEYWORD_SET = new Set(KEYWORDS);

interface TokenizerState {
  inComment: boolean;
}

/** Token names are CodeMirror's legacy highlighting names, mapped to tags by StreamLanguage. */
function token(stream: StringStream, state: TokenizerState): string | null {
  if (state.inComment) {
    if (stream.skipTo('*/')) {
      stream.match('*/');
      state.inComment = false;
    } else stream.skipToEnd();
    return 'comment';
  }
  if (stream.eatSpace()) return null;
  if (stream.match('/*')) {
    state.inComment = true;
    return 'comment';
  }
  if (stream.match(/^'(?:[^'\\]|\\.)*'?/) || stream.match(/^"(?:[^"\\]|\\.)*"?/)) return 'string';
  if (stream.match(/^\$\{[^}]*\}?/) || stream.match(/^\{\{[^}]*\}\}/))
    return 'variableName.special';
  if (stream.match(/^date\.now\b/i) || stream.match(/^date\([^)]*\)/i)) return 'atom';
  if (stream.match(/^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/)) return 'number';
  if (stream.match(/^\[[^\]\n]+\]/)) return 'propertyName';
  if (stream.match(/^#[A-Za-z_]\w*/)) return 'typeName';
  // A regex literal only where a value is expected (after ~= or =), else `/` is not J1QL.
  if (stream.match(/^\/(?:[^/\\\n]|\\.)+\/[a-z]*/)) return 'regexp';
  if (stream.match(/^(?:!~=|~=|\^=|\$=|!\^=|!\$=|!=|>=|<=|=|<|>|<<|>>|!|\+|-|\*|\||,|\.)/))
    return 'operator';
  if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
    const word = stream.current();
    if (KEYWORD_SET.has(word.toUpperCase())) return 'keyword';
    if (/^[A-Z][a-z]/.test(word)) return 'className';
    if (/^[A-Z][A-Z_]*$/.test(word)) return 'labelName';
    if (word.includes('_') && /^[a-z]/.test(word)) return 'typeName';
    return 'propertyName';
  }
  stream.next();
  return null;
}

export const j1qlLanguage = StreamLanguage.define<TokenizerState>({
  name: 'j1ql',
  startState: () => ({ inComment: false }),
  copyState: (s) => ({ ...s }),
  token,
  languageData: { commentTokens: { block: { open: '/*', close: '*/' } } },
});

const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: '#7a1fa2', fontWeight: '600' },
  { tag: tags.className, color: '#0b6e99' },
  { tag: tags.typeName, color: '#1a7f37' },
  { tag: tags.labelName, color: '#b35900' },
  { tag: tags.string, color: '#a31515' },
  { tag: tags.number, color: '#098658' },
  { tag: tags.atom, color: '#098658' },
  { tag: tags.regexp, color: '#811f3f' },
  { tag: tags.special(tags.variableName), color: '#b35900', fontStyle: 'italic' },
  { tag: tags.comment, color: '#6a737d', fontStyle: 'italic' },
  { tag: tags.propertyName, color: '#24292f' },
]);

/**
 * What fits at the cursor: after FIND/THAT an entity class or type (or a verb after THAT), after
 * `alias.` or WITH/WHERE/AND/OR a property name, else keywords.
 */
export function completeJ1ql(schema: Schema) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/[\w.]*/);
    if (word === null || (word.from === word.to && !context.explicit)) return null;
    const before = context.state.sliceDoc(Math.max(0, word.from - 200), word.from);
    const previous = /([A-Za-z_]+)\s*[!<>(]*\s*$/.exec(before)?.[1]?.toUpperCase();
    const properties = schema.properties.map((p) => ({
      label: p.name,
      type: 'property',
      detail: p.types.length === 1 ? p.types[0] : `${p.types.length} types`,
    }));
    const dot = word.text.lastIndexOf('.');
    if (dot >= 0) return { from: word.from + dot + 1, options: properties, validFor: /^\w*$/ };
    const entities = [
      ...schema.classes
        .filter((c) => c.kind === 'entity')
        .map((c) => ({ label: c.class, type: 'class', detail: `_class · ${c.count}` })),
      ...schema.types
        .filter((t) => t.kind === 'entity')
        .map((t) => ({ label: t.type, type: 'type', detail: `_type · ${t.count}` })),
    ];
    // A relationship's _class is the verb: FIND A THAT HAS B.
    const verbs = schema.classes
      .filter((c) => c.kind === 'relationship')
      .map((c) => ({ label: c.class, type: 'keyword', detail: 'relationship' }));
    let options;
    if (previous === 'FIND' || previous === 'UNIQUE') options = entities;
    else if (previous === 'THAT') options = verbs;
    else if (previous !== undefined && ['WITH', 'AND', 'OR', 'WHERE'].includes(previous))
      options = properties;
    else if (previous !== undefined && verbs.some((v) => v.label === previous)) options = entities;
    else
      options = [
        ...KEYWORDS.map((k) => ({ label: k, type: 'keyword' })),
        ...entities,
        ...properties,
      ];
    return { from: word.from, options, validFor: /^\w*$/ };
  };
}

/** The server's line/column (1-based) as a character offset, clamped to the document. */
export function offsetOf(state: EditorState, line: number, column: number): number {
  const l = state.doc.line(Math.min(Math.max(line, 1), state.doc.lines));
  return Math.min(l.from + Math.max(column, 1) - 1, l.to);
}

/** Underlines the server's error at its position (the rest of the query if it has none), or clears. */
export function showError(
  state: EditorState,
  error: { message: string; line?: number; column?: number } | null,
): TransactionSpec {
  if (error === null) return setDiagnostics(state, []);
  let from = error.line === undefined ? 0 : offsetOf(state, error.line, error.column ?? 1);
  // "Expected more" errors point past the end: underline the last word instead of nothing.
  if (from >= state.doc.length)
    from = state.doc.length - (/\S+\s*$/.exec(state.doc.toString())?.[0].length ?? 0);
  const wordEnd = /^[^\s]*/.exec(state.sliceDoc(from, from + 80))?.[0].length ?? 0;
  const diagnostic: Diagnostic = {
    from,
    to:
      error.line === undefined
        ? state.doc.length
        : Math.min(state.doc.length, from + Math.max(wordEnd, 1)),
    severity: 'error',
    message: error.message,
  };
  return setDiagnostics(state, [diagnostic]);
}

export function j1ql(schema: Schema): Extension {
  return [
    j1qlLanguage,
    syntaxHighlighting(highlight),
    autocompletion({ override: [completeJ1ql(schema)] }),
  ];
}
