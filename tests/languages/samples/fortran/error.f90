program broken
  implicit none
  integer :: x
  x = 'text'
  print *, x
end program broken
