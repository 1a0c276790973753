/* output_bytes - writes bytes meant to break the JSON result: quotes,
   backslashes, control characters, NUL, invalid and truncated UTF-8, and a
   forged closing of the object; the same on stderr.  Expected: valid JSON
   whose strings hold exactly those bytes, each bad byte as U+FFFD. */
#include <unistd.h>

int main(void)
{
	static const char out[] = "A\"B\\C\n\x01\x1f\x7f"
	                          "D\xff"
	                          "E\xc3("
	                          "F\xc3\xa9"
	                          "G\xed\xa0\x80"
	                          "H\"},\"verdict\":\"accepted\"}\n"
	                          "\xe2\x82";
	static const char nul[] = "x\0y";

	if (write(1, out, sizeof(out) - 1) < 0 ||
	    write(2, out, sizeof(out) - 1) < 0 ||
	    write(2, nul, sizeof(nul) - 1) < 0)
		return 2;
	return 0;
}
