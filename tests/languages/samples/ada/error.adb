with Ada.Text_IO;

procedure Main is
   X : Integer := "text";
begin
   Ada.Text_IO.Put_Line (Integer'Image (X));
end Main;
