// Words for the codes of docs/protocol.md and docs/api.md, for a candidate
// who has never read them.

const PAD_ERRORS: Record<string, string> = {
  stale_version: "Your change crossed someone else's; it is being merged.",
  future_version: "This pad was restored from an older copy; reloading its text.",
  invalid_changes: "The pad refused your change as malformed; the editor was reset to the pad's text.",
  length_mismatch: "Your copy of the pad was out of step; the editor was reset to the pad's text.",
  split_surrogate: "The pad refused a change that split a character; the editor was reset to the pad's text.",
  invalid_utf8: "The pad refused text that is not valid Unicode; the editor was reset to the pad's text.",
  doc_too_large: "The pad is limited to 512 KiB of text, so that change was undone.",
  too_many_updates: "Too many edits were sent at once; the editor was reset to the pad's text.",
  rate_limited: "You are editing faster than the pad accepts; your changes will be sent in a moment.",
  bad_selection: "Your cursor position could not be shared.",
  name_too_long: "That name is too long (at most 64 bytes).",
  bad_name: "That name has characters the pad does not accept.",
  bad_color: "That colour is not a #rgb or #rrggbb colour.",
  bad_language: "That language name is not valid.",
  bad_toolchain: "That toolchain or option is not one the pad accepts.",
  pad_full: "This pad is full: too many people are in it. Retrying in a while.",
  server_busy: "The server has too many pads open right now. Retrying in a while.",
  run_in_progress: "A run is already in progress on this pad.",
  no_run: "Nothing is running right now.",
  no_language: "Choose a language before running.",
  run_limited: "Too many runs right now; try again in a moment.",
  tests_too_large:
    "The tests are too large (at most 64 tests, 64 KiB of input and of expected output each, 256 KiB in all); your last change to them was undone.",
  no_tests: "Add a test first: the pad has no tests to run.",
  store_error: "The server could not save your change (its disk may be full); the editor was reset to the pad's text.",
  bad_pad_id: "This pad link is not valid.",
  wrong_daemon: "This pad's server is unavailable; retrying.",
  message_too_large: "That change is too large to send in one piece.",
  // roles and links (the closes after the first six say the same, below)
  bad_link: "The link was mistyped, or the interviewer replaced or withdrew it.",
  link_revoked: "The interviewer replaced or withdrew the link this page joined with.",
  removed: "The interviewer closed your connection to this pad.",
  no_pad: "There is no pad at this link, and this server makes pads only for interviewers.",
  create_forbidden: "Making a pad on this server needs its creation secret.",
  pad_exists: "A pad with this id exists already; make the new pad again.",
  bad_template: "The server has no such template; pick another one.",
  // run errors relayed as run events
  runner_unavailable: "The code runner is not running. Try again in a moment.",
  runner_timeout: "The code runner did not answer in time.",
  runner_error: "The code runner failed.",
  unknown_language: "The server cannot run this language.",
  busy: "Every runner is busy. Try again in a few seconds.",
  stdin_full: "The program has not read its earlier input yet.",
  stdin_closed: "The program no longer reads input.",
};

export function padErrorText(code: string, message?: string): string {
  // the daemon's message names the role and what was refused
  if (code === "forbidden") return message ? `Not allowed: ${message.replace(/\.$/, "")}.` : "Not allowed.";
  const words = PAD_ERRORS[code];
  if (words) return words;
  return message ? `The pad server said: ${message}` : `The pad server refused the request (${code}).`;
}

// Words for a close code; `error`, the error code that came before it,
// tells apart the two reasons of a 4403.
export function closeText(code: number, error: string | null = null): string | null {
  switch (code) {
    case 4400:
      return "This pad link is not valid: a pad id is 1 to 64 letters, digits, '-' or '_'.";
    case 4401:
      return PAD_ERRORS.create_forbidden;
    case 4403:
      return error === "link_revoked" ? PAD_ERRORS.link_revoked : PAD_ERRORS.bad_link;
    case 4404:
      return PAD_ERRORS.no_pad;
    case 4408:
      return PAD_ERRORS.removed;
    case 4409:
      return PAD_ERRORS.pad_exists;
    case 4429:
      return PAD_ERRORS.pad_full;
    case 4503:
      return PAD_ERRORS.server_busy;
    case 4421:
      return PAD_ERRORS.wrong_daemon;
    default:
      return null;
  }
}
