// The J1QL editor: CodeMirror with the J1QL language; Ctrl/Cmd+Enter runs; errors are underlined.
// It lives in a shadow root: there CodeMirror styles itself through constructed style sheets, which
// a Content-Security-Policy without 'unsafe-inline' styles allows (in the document it would add
// <style> elements, which such a policy blocks).
import { useEffect, useRef } from 'react';
import { closeCompletion } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching } from '@codemirror/language';
import { lintGutter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, placeholder } from '@codemirror/view';
import type { Schema } from '../api/types';
import { j1ql, showError } from './j1ql-language';

/** The page's stylesheet does not reach into the shadow root: the editor's look is set here. */
const EDITOR_THEME = EditorView.theme({
  '&': { minHeight: '90px', fontSize: '14px' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': {
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
    lineHeight: '1.6',
  },
  '.cm-gutters': { backgroundColor: '#f6f8fa', borderRight: '1px solid #d0d7de' },
});

export interface EditorError {
  message: string;
  line?: number;
  column?: number;
}

export function QueryEditor({
  value,
  schema,
  error,
  onChange,
  onRun,
}: {
  value: string;
  schema: Schema;
  error: EditorError | null;
  onChange: (text: string) => void;
  onRun: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const callbacks = useRef({ onChange, onRun });
  callbacks.current = { onChange, onRun };

  useEffect(() => {
    if (!host.current) return;
    const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
    const editor = new EditorView({
      root: shadow,
      parent: shadow,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          lintGutter(),
          placeholder('FIND microsoft_defender_machine WITH riskScore = "High"'),
          keymap.of([
            {
              key: 'Mod-Enter',
              run: (editor) => {
                closeCompletion(editor);
                callbacks.current.onRun();
                return true;
              },
            },
            ...defaultKeymap,
            ...historyKeymap,
          ]),
          j1ql(schema),
          EditorView.lineWrapping,
          EDITOR_THEME,
          EditorView.updateListener.of((u) => {
            if (u.docChanged) callbacks.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor is created once per schema; later `value`s are pushed in by the effect below.
  }, [schema]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value)
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (editor) editor.dispatch(showError(editor.state, error));
  }, [error]);

  return <div ref={host} className="query-editor" data-testid="query-editor" />;
}
