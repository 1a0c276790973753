/* thread_bomb - creates sleeping threads forever; expected: process_limit. */
#include <pthread.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	static const char msg[] = "thread_bomb: start\n";
	pthread_attr_t attr;
	pthread_t t;

	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 2;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;)
		(void)pthread_create(&t, &attr, sleeper, NULL);
}
