Asks for a name and greets it: an interactive program

The prompt is written before the program waits for its answer because
babyjit flushes the output buffer before every read that has to wait

++++++++++[>++++++++>++++++++++>+++<<<-]   cells 1 to 3 are 80 100 30
>--.                       N is 78
>---.                      a is 97
++++++++++++.              m is 109
--------.                  e is 101
<---------------.          a question mark is 63
>>++.                      a space is 32

The name goes into cells 5 onwards; cell 4 stays 0 to mark its start
Each cell is set to 10 (a newline) before its read: at the end of input
the cell keeps the 10 so the name ends there as it does at a newline

>>++++++++++,----------    read into cell 5; 0 if it was a newline
[                          until a newline:
  ++++++++++                 undo the subtraction
  >++++++++++,----------     read into the next cell
]

<[<]<                      scan back to cell 4 and step to cell 3
<<+++++++++.               H is 72 (cell 1 was 63)
>.                         e
+++++++..                  l l
+++.                       o
>++++++++++++.             a comma is 44
------------.              a space
>>[.>]                     the name: cells 5 onwards up to the 0
<[<]<+.                    back to cell 3: ! is 33
-----------------------.   and a newline
