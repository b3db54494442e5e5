Writes hi and a newline and then steps off the left end of the tape

++++++++++[>++++++++++<-]>   cell 1 is 100
++++.                        h is 104
+.                           i is 105
[-]++++++++++.               a newline
<                            cell 0: still on the tape
<                            cell minus 1: off it
