// The J1QL editor's pure parts: what completion offers where, and where an error is underlined.
import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import type { Schema } from '../src/api/types';
import { completeJ1ql, offsetOf, showError } from '../src/query/j1ql-language';

const SCHEMA: Schema = {
  types: [
    { type: 'microsoft_defender_machine', kind: 'entity', count: 40 },
    { type: 'microsoft_defender_machine_identified_vulnerability', kind: 'relationship', count: 9 },
  ],
  classes: [
    { class: 'HostAgent', kind: 'entity', count: 40 },
    { class: 'IDENTIFIED', kind: 'relationship', count: 9 },
  ],
  properties: [
    { name: 'riskScore', types: ['microsoft_defender_machine'] },
    { name: 'severity', types: ['microsoft_defender_vulnerability', 'cve'] },
  ],
};

function labelsAt(doc: string): { from: number; labels: string[] } | null {
  const state = EditorState.create({ doc });
  const result = completeJ1ql(SCHEMA)(new CompletionContext(state, doc.length, true));
  return result && { from: result.from, labels: result.options.map((o) => o.label) };
}

describe('J1QL completion', () => {
  it('offers entity classes and types after FIND, not relationships', () => {
    expect(labelsAt('FIND Ho')).toEqual({
      from: 5,
      labels: ['HostAgent', 'microsoft_defender_machine'],
    });
  });

  it('offers relationship classes after THAT', () => {
    expect(labelsAt('FIND HostAgent THAT ')?.labels).toEqual(['IDENTIFIED']);
  });

  it('offers entities again after a verb', () => {
    expect(labelsAt('FIND HostAgent THAT IDENTIFIED ')?.labels).toEqual([
      'HostAgent',
      'microsoft_defender_machine',
    ]);
  });

  it('offers property names after WITH and after alias.', () => {
    expect(labelsAt('FIND HostAgent WITH ')?.labels).toEqual(['riskScore', 'severity']);
    expect(labelsAt('FIND HostAgent AS m RETURN m.ri')).toEqual({
      from: 'FIND HostAgent AS m RETURN m.'.length,
      labels: ['riskScore', 'severity'],
    });
  });
});

describe('J1QL error position', () => {
  const doc = 'FIND HostAgent\nWITH riskScore = = 1';

  it('turns the 1-based line and column into an offset, clamped to the line', () => {
    const state = EditorState.create({ doc });
    expect(offsetOf(state, 2, 18)).toBe('FIND HostAgent\nWITH riskScore = '.length);
    expect(offsetOf(state, 2, 999)).toBe(doc.length);
    expect(offsetOf(state, 9, 1)).toBe('FIND HostAgent\n'.length);
  });

  it('underlines the word at the position, or the last word when it points past the end', () => {
    const state = EditorState.create({ doc });
    const at = (spec: ReturnType<typeof showError>) =>
      (spec.effects as unknown as { value: { from: number; to: number }[] }[])[0]!.value.map(
        (d) => [d.from, d.to],
      );
    const second = 'FIND HostAgent\nWITH riskScore = '.length;
    expect(at(showError(state, { message: 'x', line: 2, column: 18 }))).toEqual([
      [second, second + 1],
    ]);
    expect(at(showError(state, { message: 'x', line: 2, column: 99 }))).toEqual([
      [doc.length - 1, doc.length],
    ]);
    expect(at(showError(state, { message: 'x' }))).toEqual([[0, doc.length]]);
  });
});
