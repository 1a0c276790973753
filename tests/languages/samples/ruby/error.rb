def main
  puts "missing end"
