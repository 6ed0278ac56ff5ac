// The test binary's watchdog. Every wait in the tests has a bound, but a hang the bounds miss
// (a wait in a library, a child that never exits) would otherwise run until CI's limit kills the
// job, and `swift test` relays the binary's output in blocks, so the lines that name the stuck
// test would be lost with it. When the binary has run for longer than the whole suite ever should
// (DLTRAIN_TEST_TIME_LIMIT seconds, default 2,400; 0 turns it off), this prints every thread's
// stack (with gdb, where it is installed) and the processes, kills the processes the binary
// started, and exits with status 1: swift test then prints the whole output, whose last "started"
// line names the test. C, because Swift runs no code when a binary loads.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test_watchdog.h"

extern char **environ;

/// Runs `argv` with its standard error discarded (gdb's warnings about debug information would
/// bury the stacks), and waits for it.
static void run_and_wait(char *const argv[]) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &actions, NULL, argv, environ) == 0) waitpid(pid, NULL, 0);
    posix_spawn_file_actions_destroy(&actions);
}

/// Kills this process's children (the executables a stuck test started), which would otherwise
/// outlive it.
static void kill_children(void) {
    DIR *proc = opendir("/proc");
    if (!proc) return;
    struct dirent *entry;
    while ((entry = readdir(proc))) {
        char path[64], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        size_t length = fread(stat, 1, sizeof stat - 1, file);
        fclose(file);
        stat[length] = 0;
        // "PID (COMMAND) STATE PPID ...": the command may hold spaces and parentheses.
        char *end = strrchr(stat, ')');
        int parent;
        char state;
        if (end && sscanf(end + 1, " %c %d", &state, &parent) == 2 && parent == getpid()) kill(atoi(entry->d_name), SIGKILL);
    }
    closedir(proc);
}

static void *watch(void *limit) {
    sleep((unsigned)(long)limit);
    fprintf(stderr, "\ndltrain test watchdog: the test binary has run for %ld s, longer than the whole suite should; "
                    "the last test that started is stuck. Its threads and the processes follow, then the binary exits.\n",
            (long)limit);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    if (access("/usr/bin/gdb", X_OK) == 0) {
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);  // where Yama allows only a parent to attach
        char *gdb[] = {"/usr/bin/gdb", "-q", "-p", pid, "-batch", "-ex", "thread apply all bt 30", NULL};
        run_and_wait(gdb);
    }
    char *ps[] = {"/bin/ps", "-eo", "pid,ppid,stat,etime,args", "--forest", NULL};
    run_and_wait(ps);
    kill_children();
    fflush(NULL);
    _exit(1);
}

__attribute__((constructor)) static void start_watchdog(void) {
    const char *setting = getenv("DLTRAIN_TEST_TIME_LIMIT");
    long limit = setting ? atol(setting) : 2400;
    if (limit <= 0) return;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attributes, watch, (void *)limit);
    pthread_attr_destroy(&attributes);
}
