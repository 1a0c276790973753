import { describe, it, expect } from "vitest";
import type { Runtime } from "../lib/api";
import { DEFAULT_TOOLCHAIN } from "../lib/protocol";
import {
  chooseOption,
  chooseVariant,
  describeToolchain,
  sameToolchain,
  toolchainAfter,
  toolchainChoices,
} from "./toolchain";

const C: Runtime = {
  language: "c",
  name: "C",
  aliases: [],
  version: "12.2.0",
  mode: "cpp",
  variants: [
    { id: "gcc-12", version: "12.2.0", default: true },
    { id: "clang-15", version: "15.0.6", default: false },
  ],
  options: [
    { name: "std", values: ["gnu17", "c17", "c11", "c99", "gnu11", "c2x"], default: "gnu17" },
    { name: "opt", values: ["-O2", "-O0"], default: "-O2" },
  ],
};
const GO: Runtime = { language: "go", name: "Go", aliases: [], version: "1.19", mode: "go", variants: [], options: [] };
const RUST: Runtime = {
  ...GO,
  language: "rust",
  name: "Rust",
  options: [{ name: "mode", values: ["release", "debug"], default: "release" }],
};

describe("toolchainAfter", () => {
  const was = { language: "c", toolchain: { variant: "clang-15", options: { std: "c11" } } };

  it("takes what the daemon says", () => {
    const said = { variant: "gcc-12", options: {} };
    expect(toolchainAfter(was, "c", said)).toEqual(said);
    expect(toolchainAfter(was, "python", said)).toEqual(said);
  });

  it("from a daemon that says nothing: kept for the same language, the defaults for another", () => {
    expect(toolchainAfter(was, "c", null)).toEqual(was.toolchain);
    expect(toolchainAfter(was, "cpp", null)).toEqual(DEFAULT_TOOLCHAIN);
  });
});

describe("toolchainChoices", () => {
  it("lists the toolchains with versions and shows the default when the pad has none", () => {
    const c = toolchainChoices(C, DEFAULT_TOOLCHAIN);
    expect(c.variants).toEqual([
      { id: "gcc-12", label: "gcc-12 12.2.0" },
      { id: "clang-15", label: "clang-15 15.0.6" },
    ]);
    expect(c.variant).toBe("gcc-12");
    expect(c.options.map((o) => [o.name, o.value])).toEqual([
      ["std", "gnu17"],
      ["opt", "-O2"],
    ]);
  });

  it("shows the pad's choice, its variant in any case", () => {
    const c = toolchainChoices(C, { variant: "Clang-15", options: { opt: "-O0" } });
    expect(c.variant).toBe("clang-15");
    expect(c.variants).toHaveLength(2);
    expect(c.options.find((o) => o.name === "opt")?.value).toBe("-O0");
  });

  it("shows a variant or a value this server does not have as it is", () => {
    const c = toolchainChoices(C, { variant: "clang-99", options: { std: "c3x" } });
    expect(c.variant).toBe("clang-99");
    expect(c.variants.at(-1)).toEqual({ id: "clang-99", label: "clang-99 (not on this server)" });
    expect(c.options[0].values.at(-1)).toBe("c3x");
  });

  it("has no variant picker for one toolchain, nor anything without runtimes", () => {
    expect(toolchainChoices(GO, DEFAULT_TOOLCHAIN)).toEqual({ variants: [], variant: "", options: [] });
    expect(toolchainChoices(RUST, DEFAULT_TOOLCHAIN).options).toHaveLength(1);
    expect(toolchainChoices(undefined, { variant: "pypy", options: {} })).toEqual({
      variants: [],
      variant: "",
      options: [],
    });
  });
});

describe("choosing", () => {
  it("sends the whole choice the pickers show", () => {
    expect(chooseVariant(C, DEFAULT_TOOLCHAIN, "clang-15")).toEqual({
      variant: "clang-15",
      options: { std: "gnu17", opt: "-O2" },
    });
    expect(chooseOption(C, { variant: "clang-15", options: {} }, "std", "c11")).toEqual({
      variant: "clang-15",
      options: { std: "c11", opt: "-O2" },
    });
  });

  it("drops what the pickers do not show", () => {
    expect(chooseOption(C, { variant: null, options: { flags: "-g", std: "c99" } }, "opt", "-O0")).toEqual({
      variant: "gcc-12",
      options: { std: "c99", opt: "-O0" },
    });
    expect(chooseOption(RUST, { variant: "nightly", options: {} }, "mode", "debug")).toEqual({
      variant: null,
      options: { mode: "debug" },
    });
  });
});

describe("describing and comparing", () => {
  it("says the choice in a few words", () => {
    expect(describeToolchain({ variant: "clang-15", options: { std: "c11" } })).toBe("clang-15, std=c11");
    expect(describeToolchain({ variant: null, options: { opt: "-O0" } })).toBe("opt=-O0");
    expect(describeToolchain(DEFAULT_TOOLCHAIN)).toBe("the default toolchain");
  });

  it("compares options whatever their order", () => {
    expect(
      sameToolchain({ variant: "a", options: { x: "1", y: "2" } }, { variant: "a", options: { y: "2", x: "1" } }),
    ).toBe(true);
    expect(sameToolchain({ variant: "a", options: {} }, { variant: null, options: {} })).toBe(false);
    expect(sameToolchain({ variant: null, options: { x: "1" } }, { variant: null, options: { x: "2" } })).toBe(false);
  });
});
