System.out << System.in
System.out.flush()
