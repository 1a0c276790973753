import strutils

var lines: seq[string]
for line in stdin.lines:
  lines.add(line)
stdout.write(lines.join("\n") & "\n")
