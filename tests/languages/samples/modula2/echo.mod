MODULE main;

FROM libc IMPORT read, write;
FROM SYSTEM IMPORT ADR;

VAR
   buf: ARRAY [0..4095] OF CHAR;
   n: INTEGER;
BEGIN
   LOOP
      n := read (0, ADR (buf), SIZE (buf));
      IF n <= 0 THEN EXIT END;
      n := write (1, ADR (buf), n)
   END
END main.
