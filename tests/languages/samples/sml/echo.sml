fun main () = print (TextIO.inputAll TextIO.stdIn)
