Prints y and a newline forever (stop it with Ctrl C or a closed pipe)

++++++++++[>++++++++++++>+<<-]>+   cell 1 is 121 (y) and cell 2 is 10
[.>.<]                             forever: y then a newline
