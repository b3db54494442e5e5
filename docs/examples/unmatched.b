An unmatched bracket: the loop on line 3 is never closed

++++[>++++<-]>[.
