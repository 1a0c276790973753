#import <objc/Object.h>
#include <stdio.h>

@interface Greeter : Object
+ (void)greet;
@end

@implementation Greeter
+ (void)greet
{
	printf("Hello, World!\n");
}
@end

int main(void)
{
	[Greeter greet];
	return 0;
}
