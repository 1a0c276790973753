package main

import "fmt"

func main() {
	var x int = "not a number"
	fmt.Println(x)
}
