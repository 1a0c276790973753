my $x = ;
print "$x\n";
