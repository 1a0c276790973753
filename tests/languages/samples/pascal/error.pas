program Broken;
var
  x: Integer;
begin
  x := 'text';
  WriteLn(x);
end.
