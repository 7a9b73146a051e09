/**
 * CSV cells a spreadsheet would run as a formula (OWASP "CSV Injection"): a text cell starting with
 * `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so it is shown as text.
 * Numbers stay numbers: `-5` is a value, not a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
