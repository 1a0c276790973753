fun main () = print (1 + "two")
