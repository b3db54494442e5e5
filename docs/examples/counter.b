Prints the digits 0 to 9 and a newline

++++++[>++++++++<-]        cell 1 is 6 times 8 = 48: the digit 0
++++++++++                 cell 0 is 10: the counter
[                          ten times:
  >.+                        write the digit and step to the next one
  <-                         count down
]
++++++++++.                cell 0 is 10 again: a newline
