/* copy stdin to stdout, line by line */
do while lines() > 0
  line = linein()
  if line == '' & lines() == 0 then leave
  say line
end
