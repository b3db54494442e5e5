A loop that takes 3 from its cell on each pass: how many passes until 0?

,                read a byte (195 in the example: 13 times 15)
[--->+<]         count the passes into cell 1
>.               65 passes: an A
>++++++++++.     and a newline
