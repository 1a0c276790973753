say "unclosed;
