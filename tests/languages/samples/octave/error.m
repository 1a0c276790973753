x = [1, 2;
disp(x)
