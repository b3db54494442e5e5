Copies its input to its output

At the end of input babyjit leaves the cell unchanged (the default) so
the cell is cleared before each read: when nothing more comes it stays 0
and the loop ends

,                          read a byte
[                          while it is not 0:
  .                          write it
  [-]                        clear the cell
  ,                          read the next one
]
