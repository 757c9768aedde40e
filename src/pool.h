/*
 * xavier's thread pool: work items shared dynamically, passive waiting.
 *
 * xv_pool_run runs fn(ctx, i) for i = 0..n-1.  The calling thread works
 * through the items itself and up to `helpers` pool threads join it; items
 * are handed out one at a time in increasing order, so a thread that loses
 * its core (a busy machine) simply takes fewer, and the caller never waits
 * for a helper that has not started: only for items in progress.  Idle pool
 * threads sleep on a condition variable (no spinning), so they cost nothing
 * beside other work.  The pool is shared by all calling threads, grows to
 * the largest number of helpers one call asked for, and is rebuilt empty in
 * a child after fork().
 */
#ifndef XAVIER_POOL_H
#define XAVIER_POOL_H

#include <stdint.h>

typedef void (*xv_item_fn)(void *ctx, int64_t i);
typedef int (*xv_stop_fn)(void *ctx);

/* Returns 0 when every item ran, or -3 when stop(stop_ctx) (called by the
 * caller after every `stop_every` items of its own; NULL: never) returned
 * nonzero: then items 0..k-1 ran for some k, and no later item ran. */
int xv_pool_run(int64_t n, int helpers, xv_item_fn fn, void *ctx, xv_stop_fn stop,
                void *stop_ctx, int64_t stop_every);

/* Threads the pool holds now (tests). */
int xv_pool_threads(void);

#endif
