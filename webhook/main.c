/* main.c - thurkube-webhook entry point (placeholder until the server lands). */
#include "compat.h"

int main(void)
{
	return 0;
}
