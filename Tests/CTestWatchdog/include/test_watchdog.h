// Nothing to call: the module exists for its constructor (test_watchdog.c).
#ifndef DLTRAIN_TEST_WATCHDOG_H
#define DLTRAIN_TEST_WATCHDOG_H
#endif
