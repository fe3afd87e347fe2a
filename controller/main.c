/* main.c - thurkube-controller entry point (placeholder). */
#include "compat.h"

int main(void)
{
	return 0;
}
