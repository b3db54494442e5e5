A loop that takes 3 from its cell on each pass: how many passes until 0?

+++++++++++++[>+++++++++++++++<-]>   cell 1 is 13 times 15 = 195
[--->+<]                             count the passes into cell 2
>.                                   65 passes: an A
>++++++++++.                         and a newline
