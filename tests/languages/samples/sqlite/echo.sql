-- All of stdin as one field (ASCII mode: no separator occurs in text).
CREATE TABLE input(data TEXT);
.mode ascii
.import '|cat' input
.mode list
.separator "" ""
SELECT data FROM input;
