BEGIN { print "unclosed" 
