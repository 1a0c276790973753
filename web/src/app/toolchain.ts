// The pad's toolchain (docs/protocol.md, "language"): which of its
// language's toolchains runs it (gcc-12, clang-15, pypy) and its options
// (C's std and opt, Rust's mode and edition).  The daemon keeps it per pad
// and tells everyone; the run API lists what this server has (GET
// runtimes: `variants`, `options`) and checks the choice on every run.
// Here: what the pickers beside the language show, the choice a change
// sends, and the pad's toolchain after a language message.
import type { Runtime } from "../lib/api";
import { DEFAULT_TOOLCHAIN, type Toolchain } from "../lib/protocol";

export interface VariantChoice {
  id: string;
  label: string; // "clang-15 15.0.6"
}

export interface OptionChoice {
  name: string;
  values: string[];
  value: string; // the pad's, or the option's default
}

export interface ToolchainChoices {
  variants: VariantChoice[]; // empty: no picker (the language has one toolchain)
  variant: string; // the id the variant picker shows
  options: OptionChoice[];
}

// The pad's toolchain after a language message that says `said` (null
// from a daemon older than toolchains, which says nothing: then what the
// daemon does, kept for the same language, the defaults for another).
export function toolchainAfter(
  was: { language: string; toolchain: Toolchain },
  language: string,
  said: Toolchain | null,
): Toolchain {
  if (said) return said;
  return was.language === language ? was.toolchain : DEFAULT_TOOLCHAIN;
}

// What the pickers show for the pad's language (its runtime, when the
// runtimes list has it) and the pad's toolchain.
export function toolchainChoices(runtime: Runtime | undefined, tc: Toolchain): ToolchainChoices {
  const listed = runtime?.variants ?? [];
  const variants = listed.length > 1 ? listed.map((v) => ({ id: v.id, label: `${v.id} ${v.version}` })) : [];
  let variant = (listed.find((v) => v.default) ?? listed[0])?.id ?? "";
  if (tc.variant && variants.length) {
    // the run API takes an id in any case
    const known = listed.find((v) => v.id.toLowerCase() === tc.variant!.toLowerCase());
    variant = known ? known.id : tc.variant;
    if (!known) variants.push({ id: tc.variant, label: `${tc.variant} (not on this server)` });
  }
  const options = (runtime?.options ?? []).map((o) => {
    const value = tc.options[o.name] ?? o.default;
    return { name: o.name, values: o.values.includes(value) ? o.values : [...o.values, value], value };
  });
  return { variants, variant, options };
}

// The toolchain the pickers show, whole: what a change sends, so that the
// pad holds what everyone sees (an option this server does not list, or a
// variant of a language that has one toolchain, is dropped).
function shown(runtime: Runtime | undefined, tc: Toolchain): Toolchain {
  const c = toolchainChoices(runtime, tc);
  const options: Record<string, string> = {};
  for (const o of c.options) options[o.name] = o.value;
  return { variant: c.variants.length ? c.variant : null, options };
}

export function chooseVariant(runtime: Runtime | undefined, tc: Toolchain, id: string): Toolchain {
  return { ...shown(runtime, tc), variant: id };
}

export function chooseOption(runtime: Runtime | undefined, tc: Toolchain, name: string, value: string): Toolchain {
  const s = shown(runtime, tc);
  return { ...s, options: { ...s.options, [name]: value } };
}

// "clang-15, std=c11": for telling who changed what.
export function describeToolchain(tc: Toolchain): string {
  const parts = [...(tc.variant ? [tc.variant] : []), ...Object.entries(tc.options).map(([k, v]) => `${k}=${v}`)];
  return parts.length ? parts.join(", ") : "the default toolchain";
}

export function sameToolchain(a: Toolchain, b: Toolchain): boolean {
  const ka = Object.keys(a.options);
  return (
    a.variant === b.variant &&
    ka.length === Object.keys(b.options).length &&
    ka.every((k) => a.options[k] === b.options[k])
  );
}
