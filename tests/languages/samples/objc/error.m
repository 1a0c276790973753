#import <objc/Object.h>

@interface Broken : Object
@end

@implementation Broken
- (void)oops
{
	int x = @"not a number"
}
@end
