// Diagnostics of a run result (docs/api.md "Diagnostics": result.compile
// and result.run each carry `diagnostics`, 1-based line and column) → the
// lint Diagnostics the editor underlines.
import type { Text } from "@codemirror/state";

export interface ApiDiagnostic {
  file: string;
  line: number | null;
  column: number | null;
  severity: string; // "error", "warning", "note", or another the compiler names
  message: string;
}

export interface EditorDiagnostic {
  from: number;
  to: number;
  severity: "error" | "warning" | "info";
  message: string;
  source?: string;
}

interface Stage {
  diagnostics?: ApiDiagnostic[] | null;
}

export function resultDiagnostics(
  result: { compile?: Stage | null; run?: Stage | null } | null | undefined,
): ApiDiagnostic[] {
  if (!result) return [];
  return [...(result.compile?.diagnostics ?? []), ...(result.run?.diagnostics ?? [])];
}

// Only the pad's own file (or an unnamed one) is in the editor.
function inSource(file: string, sourceFile: string | undefined): boolean {
  if (!file) return true;
  if (!sourceFile) return true;
  const f = file.replace(/^\.\//, "").replace(/^\/box\//, "");
  return f === sourceFile || f.endsWith("/" + sourceFile);
}

export function toEditorDiagnostics(diags: ApiDiagnostic[], doc: Text, sourceFile?: string): EditorDiagnostic[] {
  const out: EditorDiagnostic[] = [];
  for (const d of diags) {
    if (typeof d.line !== "number" || d.line < 1 || !inSource(d.file, sourceFile)) continue;
    const lineNo = Math.min(d.line, doc.lines);
    const line = doc.line(lineNo);
    let from: number;
    let to: number;
    if (typeof d.column === "number" && d.column >= 1 && d.line <= doc.lines) {
      from = line.from + Math.min(d.column - 1, line.length);
      // underline the word at the column, at least one character
      const rest = line.text.slice(from - line.from);
      const word = /^[\p{L}\p{N}_$]+/u.exec(rest);
      to = Math.min(line.to, from + Math.max(1, word ? word[0].length : 1));
      if (to <= from && line.length > 0) {
        from = Math.max(line.from, line.to - 1);
        to = line.to;
      }
    } else {
      from = line.from;
      to = line.to;
    }
    const severity = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info";
    out.push({ from, to, severity, message: d.message });
  }
  return out;
}
