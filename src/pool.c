/* xavier's thread pool (see pool.h). */
#include "pool.h"

#include <stddef.h>

#if defined(__unix__) || defined(__APPLE__)
#define XV_HAVE_POOL 1
#include <pthread.h>
#endif

static int run_serial(int64_t n, xv_item_fn fn, void *ctx, xv_stop_fn stop, void *stop_ctx,
                      int64_t stop_every)
{
    for (int64_t i = 0; i < n; i++) {
        fn(ctx, i);
        if (stop != NULL && i + 1 < n && (i + 1) % stop_every == 0 && stop(stop_ctx))
            return -3;
    }
    return 0;
}

#ifndef XV_HAVE_POOL

int xv_pool_run(int64_t n, int helpers, xv_item_fn fn, void *ctx, xv_stop_fn stop,
                void *stop_ctx, int64_t stop_every)
{
    (void)helpers;
    return run_serial(n, fn, ctx, stop, stop_ctx, stop_every < 1 ? 1 : stop_every);
}

int xv_pool_threads(void) { return 0; }

#else

typedef struct job {
    int64_t n;
    int64_t next;            /* the next item to hand out (atomic) */
    int cancel;              /* set when stop() asked to end (atomic) */
    int helpers_max;         /* fields below: under `lock` */
    int joined;              /* helpers that have joined */
    int active;              /* helpers working on it now */
    xv_item_fn fn;
    void *ctx;
    pthread_cond_t done;     /* active fell to 0 */
    struct job *link;
} job;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;   /* a job was posted */
static job *jobs;            /* open jobs, newest first */
static int nthreads;         /* pool threads started */
static int idle;             /* pool threads waiting for work */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* fork() copies only the calling thread: the child starts with no pool
 * (its threads are gone; the lock may have been held by one of them). */
static void after_fork_child(void)
{
    pthread_mutex_t fresh_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_work = PTHREAD_COND_INITIALIZER;
    lock = fresh_lock;
    work = fresh_work;
    jobs = NULL;
    nthreads = idle = 0;
}

static void init_once(void) { (void)pthread_atfork(NULL, NULL, after_fork_child); }

static int wants_help(const job *j)
{
    return j->joined < j->helpers_max && !__atomic_load_n(&j->cancel, __ATOMIC_RELAXED) &&
           __atomic_load_n(&j->next, __ATOMIC_RELAXED) < j->n;
}

/* Take and run items until none is left or the job is cancelled. */
static void run_items(job *j)
{
    while (!__atomic_load_n(&j->cancel, __ATOMIC_RELAXED)) {
        const int64_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (i >= j->n)
            break;
        j->fn(j->ctx, i);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        job *j = jobs;
        while (j != NULL && !wants_help(j))
            j = j->link;
        if (j == NULL) {
            idle++;
            pthread_cond_wait(&work, &lock);
            idle--;
            continue;
        }
        j->joined++;
        j->active++;
        pthread_mutex_unlock(&lock);
        run_items(j);
        pthread_mutex_lock(&lock);
        if (--j->active == 0)
            pthread_cond_signal(&j->done);
    }
    return NULL;
}

int xv_pool_threads(void)
{
    pthread_mutex_lock(&lock);
    const int n = nthreads;
    pthread_mutex_unlock(&lock);
    return n;
}

int xv_pool_run(int64_t n, int helpers, xv_item_fn fn, void *ctx, xv_stop_fn stop,
                void *stop_ctx, int64_t stop_every)
{
    if (stop_every < 1)
        stop_every = 1;
    if (helpers > n - 1)
        helpers = n - 1 > 0x7fffffff ? 0x7fffffff : (int)(n - 1);
    if (helpers < 1)
        return run_serial(n, fn, ctx, stop, stop_ctx, stop_every);
    (void)pthread_once(&once, init_once);

    job j = {.n = n, .next = 0, .cancel = 0, .helpers_max = helpers, .joined = 0, .active = 0,
             .fn = fn, .ctx = ctx, .link = NULL};
    pthread_cond_init(&j.done, NULL);
    pthread_mutex_lock(&lock);
    j.link = jobs;
    jobs = &j;
    /* the pool grows to the largest team asked for; threads busy with other
     * jobs are not waited for: the caller starts at once either way */
    while (nthreads < helpers) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int rc = pthread_create(&t, &attr, worker, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;   /* fewer helpers (the caller alone at worst): same values */
        nthreads++;
    }
    if (idle > 0)
        pthread_cond_broadcast(&work);
    pthread_mutex_unlock(&lock);

    int rc = 0;
    int64_t mine = 0;
    while (!__atomic_load_n(&j.cancel, __ATOMIC_RELAXED)) {
        const int64_t i = __atomic_fetch_add(&j.next, 1, __ATOMIC_RELAXED);
        if (i >= n)
            break;
        fn(ctx, i);
        if (stop != NULL && ++mine % stop_every == 0 &&
            __atomic_load_n(&j.next, __ATOMIC_RELAXED) < n && stop(stop_ctx)) {
            __atomic_store_n(&j.cancel, 1, __ATOMIC_RELAXED);
            rc = -3;
        }
    }

    pthread_mutex_lock(&lock);
    for (job **p = &jobs; *p != NULL; p = &(*p)->link)   /* no helper joins from here on */
        if (*p == &j) {
            *p = j.link;
            break;
        }
    while (j.active > 0)   /* only items in progress are waited for */
        pthread_cond_wait(&j.done, &lock);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&j.done);
    return rc;
}

#endif
