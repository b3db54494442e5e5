Prints Hello World! and a newline

Only the eight characters plus minus less greater dot comma and the
two square brackets are commands: everything else is a comment (which
is why this comment has no punctuation in it)

++++++++++                 cell 0 is 10: the loop counter
[                          ten times:
  >+++++++                   cell 1 gains 7
  >++++++++++                cell 2 gains 10
  >+++                       cell 3 gains 3
  >+                         cell 4 gains 1
  <<<<-                      back to cell 0 and count down
]                          cells 1 to 4 are now 70 100 30 10
>++.                       H is 72
>+.                        e is 101
+++++++..                  l is 108 (twice)
+++.                       o is 111
>++++++++++++++.           a comma is 44
------------.              a space is 32
<<+++++++++++++++.         W is 87
>.                         o
+++.                       r is 114
------.                    l
--------.                  d is 100
>+.                        ! is 33
>.                         the newline is 10
