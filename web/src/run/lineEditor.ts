// Line-buffered input typed into the terminal: echo locally, send a line
// with "\n" on Enter.  Pure: feed() takes what xterm's onData gives and
// returns what to echo and the finished lines.
export interface LineResult {
  echo: string;
  lines: string[];
  eof: boolean;
}

export class LineEditor {
  buf = "";

  feed(data: string): LineResult {
    let echo = "";
    const lines: string[] = [];
    let eof = false;
    if (data.startsWith("\x1b")) return { echo, lines, eof }; // arrows, function keys
    for (const ch of Array.from(data)) {
      if (ch === "\r" || ch === "\n") {
        lines.push(this.buf + "\n");
        this.buf = "";
        echo += "\r\n";
      } else if (ch === "\x7f" || ch === "\b") {
        if (this.buf) {
          const chars = Array.from(this.buf);
          chars.pop();
          this.buf = chars.join("");
          echo += "\b \b";
        }
      } else if (ch === "\x04") {
        if (this.buf) lines.push(this.buf);
        this.buf = "";
        eof = true;
      } else if (ch < " ") {
        continue; // other controls
      } else {
        this.buf += ch;
        echo += ch;
      }
    }
    return { echo, lines, eof };
  }
}
