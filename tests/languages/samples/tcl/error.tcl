proc main {} {
  puts "unclosed brace"
