create buf 4096 allot
: echo ( -- )
  begin
    buf 4096 stdin read-file throw
    dup 0>
  while
    buf swap type
  repeat
  drop ;
echo
