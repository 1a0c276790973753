// The "new interview" screen's logic: what the server offers (its
// languages from `GET api/runtimes`, its templates from `GET
// ws/new/templates.json`, which daemons before templates answer with 404),
// the creation secret when the server wants one, and the `hello.create`
// that makes the pad (docs/protocol.md, "Making a pad").
import type { Runtime } from "../lib/api";
import type { CreateSpec, Welcome } from "../lib/protocol";
import { templatesUrl } from "../lib/padId";

export interface Template {
  name: string;
  title?: string;
  language?: string;
  tests?: number;
}

// What templates.json said: the templates, or none (an older daemon, or
// the server could not be asked), or that it needs the creation secret.
export type TemplatesAnswer =
  | { kind: "ok"; templates: Template[]; create: string }
  | { kind: "none"; error: string | null }
  | { kind: "secret" }; // 401: ask for the secret, then again

export async function fetchTemplates(
  href: string,
  secret: string,
  fetchFn: typeof fetch = fetch,
): Promise<TemplatesAnswer> {
  let res: Response;
  try {
    res = await fetchFn(templatesUrl(href), {
      headers: { Accept: "application/json", ...(secret ? { "X-Runpad-Create-Secret": secret } : {}) },
    });
  } catch {
    return { kind: "none", error: "Could not reach the pad server to list its templates." };
  }
  if (res.status === 401) return { kind: "secret" };
  if (res.status === 404) return { kind: "none", error: null }; // a daemon without templates
  if (!res.ok) return { kind: "none", error: `The pad server answered HTTP ${res.status} for its templates.` };
  try {
    const j = (await res.json()) as { templates?: unknown; create?: unknown };
    const templates = Array.isArray(j.templates)
      ? j.templates.filter((t): t is Template => !!t && typeof (t as Template).name === "string")
      : [];
    return { kind: "ok", templates, create: typeof j.create === "string" ? j.create : "anyone" };
  } catch {
    return { kind: "none", error: "The pad server sent a list of templates this page cannot read." };
  }
}

// What the screen's form holds.
export interface CreateForm {
  title: string;
  language: string; // a runtime's id, or "" for none
  template: string; // a template's name, or "" for none
}

// The `create` of the hello, from the form and the secret.
export function createSpec(form: CreateForm, secret: string): CreateSpec {
  const spec: CreateSpec = {};
  if (form.template) spec.template = form.template;
  else if (form.language) spec.language = form.language;
  const title = form.title.trim();
  if (title) spec.title = title;
  if (secret) spec.secret = secret;
  return spec;
}

// The starter text a new pad without a template begins with: the
// registry's `starter` for its language, if it has one.
export function starterOf(form: CreateForm, runtimes: Runtime[]): string | null {
  if (form.template || !form.language) return null;
  const s = runtimes.find((r) => r.language === form.language)?.starter;
  return typeof s === "string" && s ? s : null;
}

// The edit to push as the pad's first: the starter, when this welcome is
// the one that made the pad (it has the links) and the pad is still empty.
export function starterEdit(w: Welcome, starter: string | null, docLength: number): string | null {
  if (!starter || !w.links || w.version !== 0 || docLength !== 0) return null;
  return starter;
}

// The default language of the form: Python when the server has it.
export function defaultLanguage(runtimes: Runtime[]): string {
  return (runtimes.find((r) => r.language === "python") ?? runtimes[0])?.language ?? "";
}
