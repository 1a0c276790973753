/* cpu_threads - two threads burn CPU forever: the CPU limit counts the
   whole process, not one thread; expected: time_limit (cpu). */
#include <pthread.h>
#include <unistd.h>

static void *spin(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	for (;;)
		n++;
	return NULL;
}

int main(void)
{
	static const char msg[] = "cpu_threads: start\n";
	pthread_t t;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	if (pthread_create(&t, NULL, spin, NULL) != 0)
		return 3;
	spin(NULL);
	return 0;
}
