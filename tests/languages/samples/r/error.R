x <- c(1, 2
print(x)
