MODULE main;

FROM StrIO IMPORT WriteString;

VAR
   x: INTEGER;
BEGIN
   x := 'text';
   WriteString (x)
END main.
