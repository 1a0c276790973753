function main()
  print("missing end")
