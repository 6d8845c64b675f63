import StrataTools

StrataCommand.main()
