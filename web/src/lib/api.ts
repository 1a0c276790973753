// The run API (docs/api.md): only `GET api/runtimes` is used by the pad;
// runs go through the pad daemon.  URLs are relative to the page so that
// the app works under any path prefix.

export interface Runtime {
  language: string;
  name: string;
  aliases: string[];
  version: string;
  mode: string | null;
  compiled?: boolean;
  source_file?: string;
  starter?: string; // the text a new pad in this language starts with
  // what its programs can import or link here (sandbox/languages.conf)
  libraries?: Library[];
  // its toolchains when it has several, the default first ([] for one)
  variants?: Variant[];
  // its allow-listed choices (C's std and opt, Rust's mode and edition)
  options?: RuntimeOption[];
}

// A toolchain of a language: `id` is what a run's `version` takes.
export interface Variant {
  id: string; // gcc-12, clang-15, cpython, pypy
  version: string;
  default: boolean;
}

export interface RuntimeOption {
  name: string; // std, opt, mode, edition
  values: string[];
  default: string;
}

export interface Library {
  name: string; // as users know it: numpy, rand, boost
  version: string | null;
  package: string; // the Debian package it comes from
}

export class ApiError extends Error {}

// Words for an answer that is not what we asked for.  nginx answers some
// errors itself in HTML (502 when the runner is down, 429, 504).
export function httpErrorText(status: number, body: string, contentType: string | null): string {
  if (contentType && contentType.includes("json")) {
    try {
      const j = JSON.parse(body) as { error?: { message?: unknown } | null } | null;
      if (j && j.error && typeof j.error.message === "string") return `The run service refused: ${j.error.message}`;
    } catch {
      /* fall through */
    }
  }
  switch (status) {
    case 401:
      return "The run service needs a token that this page does not have (HTTP 401).";
    case 404:
      return "The run service was not found at ./api/ (HTTP 404): is the site set up behind nginx?";
    case 429:
      return "Too many requests to the run service; wait a moment (HTTP 429).";
    case 502:
      return "The run service is not running (HTTP 502); running code will not work until it is back.";
    case 503:
      return "The run service is overloaded (HTTP 503); try again in a few seconds.";
    case 504:
      return "The run service took too long to answer (HTTP 504).";
    default:
      return `The run service answered with HTTP ${status}.`;
  }
}

export async function fetchRuntimes(base: string = location.href, fetchFn: typeof fetch = fetch): Promise<Runtime[]> {
  let res: Response;
  try {
    res = await fetchFn(new URL("api/runtimes", base).toString(), { headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError("Could not reach the run service: check your network connection.");
  }
  const body = await res.text();
  if (!res.ok) throw new ApiError(httpErrorText(res.status, body, res.headers.get("content-type")));
  try {
    const list: unknown = JSON.parse(body);
    if (!Array.isArray(list)) throw new Error("not a list");
    return list as Runtime[];
  } catch {
    throw new ApiError("The run service sent a list of languages this page cannot read.");
  }
}
