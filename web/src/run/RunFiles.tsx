import type { RunResult } from "./runModel";

// The files a run's program wrote to out/ (docs/api.md "Files a program
// returns"): images shown, text shown as it is, each one downloadable.
// Everyone in the pad sees the same, from the run's result event.
export interface OutFile {
  name: string;
  type: string;
  size: number;
  data: string;
  encoding: "utf-8" | "base64";
  truncated: boolean;
}

export interface OutRefusal {
  name: string;
  reason: string;
}

export function filesOf(result: RunResult | null): {
  files: OutFile[];
  refused: OutRefusal[];
  truncated: boolean;
} {
  const files = Array.isArray(result?.files) ? (result.files as OutFile[]) : [];
  const refused = Array.isArray(result?.files_refused) ? (result.files_refused as OutRefusal[]) : [];
  return { files, refused, truncated: result?.files_truncated === true };
}

// A data: URL of the file, for <img> and for downloading.  An SVG in an
// <img> runs no script and loads nothing.
export function dataUrl(f: OutFile): string {
  if (f.encoding === "base64") return `data:${f.type};base64,${f.data}`;
  return `data:${f.type};charset=utf-8,${encodeURIComponent(f.data)}`;
}

export function sizeText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function RunFiles({ result }: { result: RunResult | null }) {
  const { files, refused, truncated } = filesOf(result);
  if (files.length === 0 && refused.length === 0) return null;
  return (
    <div className="run-files" data-testid="run-files" aria-label="Files the program wrote">
      {files.map((f) => {
        const image = f.type.startsWith("image/");
        return (
          <figure key={f.name} className="run-file" data-testid="run-file" data-name={f.name}>
            <figcaption>
              <code>out/{f.name}</code> <span className="muted">{sizeText(f.size)}</span>
              {f.truncated && <span className="muted"> (cut)</span>}{" "}
              <a href={dataUrl(f)} download={f.name}>
                Download
              </a>
            </figcaption>
            {image ? (
              <img src={dataUrl(f)} alt={`out/${f.name}, written by the program`} />
            ) : f.encoding === "utf-8" ? (
              <pre>{f.data}</pre>
            ) : (
              <p className="muted">Not UTF-8 text: download it to see it.</p>
            )}
          </figure>
        );
      })}
      {(refused.length > 0 || truncated) && (
        <ul className="run-files-refused" data-testid="run-files-refused">
          {refused.map((r, i) => (
            <li key={i}>
              <code>out/{r.name}</code>: {r.reason}
            </li>
          ))}
          {truncated && <li>More files than a run may return were left out.</li>}
        </ul>
      )}
    </div>
  );
}
