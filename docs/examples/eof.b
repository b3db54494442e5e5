Shows what a read at the end of input does

Cell 1 is set to 120 (an x) before the read: by default the x stays;
given eof 0 the cell becomes 0; given eof minus 1 it becomes 255

++++++++++[>++++++++++++<-]>   cell 1 is 120
,                              read into cell 1
.                              write cell 1
>++++++++++.                   and a newline
