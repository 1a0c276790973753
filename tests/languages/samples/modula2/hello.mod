MODULE main;

FROM StrIO IMPORT WriteString, WriteLn;

BEGIN
   WriteString ('Hello, World!');
   WriteLn
END main.
