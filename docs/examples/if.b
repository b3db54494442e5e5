Writes y if there is any input: an if in Brainfuck

,                          cell 0 is the first byte of input (0 if there is none)
[                          if it is not 0:
  >+++++++++++[>+++++++++++<-]>.   cell 2 is 11 times 11 = 121: y
  <<[-]                      clear cell 0 so that the loop runs only once
]
