import type { Runtime } from "../lib/api";
import type { Toolchain } from "../lib/protocol";
import { toolchainChoices } from "../app/toolchain";

// Beside the language picker: the pad's toolchain when its language has
// several ("gcc-12 12.2.0", "clang-15 15.0.6"), and a small picker per
// option (std, opt).  Shared with everyone, like the language.
export function ToolchainPicker(props: {
  runtime: Runtime | undefined;
  toolchain: Toolchain;
  disabled: boolean;
  onVariant: (id: string) => void;
  onOption: (name: string, value: string) => void;
}) {
  const c = toolchainChoices(props.runtime, props.toolchain);
  if (c.variants.length === 0 && c.options.length === 0) return null;
  const name = props.runtime?.name ?? "the language";
  return (
    <span className="toolchain" role="group" aria-label={`Toolchain of ${name} for the pad (shared with everyone)`}>
      {c.variants.length > 0 && (
        <select
          data-testid="variant"
          value={c.variant}
          onChange={(e) => props.onVariant(e.target.value)}
          aria-label={`Compiler or interpreter of ${name} (shared with everyone)`}
          title="Compiler or interpreter"
          disabled={props.disabled}
        >
          {c.variants.map((v) => (
            <option key={v.id} value={v.id}>
              {v.label}
            </option>
          ))}
        </select>
      )}
      {c.options.map((o) => (
        <label key={o.name} className="toolchain-option" title={`Option ${o.name}`}>
          <span>{o.name}</span>
          <select
            data-testid={`option-${o.name}`}
            value={o.value}
            onChange={(e) => props.onOption(o.name, e.target.value)}
            aria-label={`${o.name} option of ${name} (shared with everyone)`}
            disabled={props.disabled}
          >
            {o.values.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
      ))}
    </span>
  );
}
