Writes baby into cells 1 to 4 and prints it by walking the tape

++++++++++[>++++++++++>++++++++++>++++++++++>++++++++++++<<<<-]
>--                        cell 1 is 98: b
>---                       cell 2 is 97: a
>--                        cell 3 is 98: b
>+                         cell 4 is 121: y
<<<                        back to cell 1
[>]                        scan right to the first 0 cell: cell 5
<[<]>                      scan back left to cell 0 and step onto cell 1
[.>]                       print cells until the 0 cell
++++++++++.                a newline
