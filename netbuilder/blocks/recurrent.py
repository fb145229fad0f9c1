"""(being written)"""

SPECS = ()
