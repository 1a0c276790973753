main :- write('missing period'), nl
foo :- bar.
