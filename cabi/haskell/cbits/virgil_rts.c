/*
 * Starts the Haskell runtime when the guest library is loaded and stops it when the library is
 * unloaded (cabi/ABI.md section 12).
 *
 * - The threaded RTS, so that any host thread may call in, concurrently.
 * - --install-signal-handlers=no: the runtime installs no handler for SIGINT (or any other
 *   signal), so the host's own handlers stay in place.
 * - keep_cafs: the library's top-level values (such as `add = export "add" addImpl`) are never
 *   garbage collected. GHC 9.0 only registers foreign exports as GC roots when they are loaded
 *   before hs_init runs; keeping CAFs makes the guest safe whatever the order of the library
 *   constructors, and when the runtime was already started by another Haskell library.
 * - -maxN4 -qg: up to 4 capabilities (fewer on smaller machines), so that calls from several host
 *   threads run in parallel; sequential collection, which does not stall a busy host's cores.
 * - GHCRTS and command-line options are ignored (RtsOptsIgnoreAll): the RTS exits the process on
 *   an option it does not accept, and an environment variable meant for some Haskell program must
 *   not be able to kill a host that merely loaded this library.
 *
 * Compile with -DVIRGIL_HS_RTS_OPTS='"..."' (ghc -optc-D...) to change the built-in options.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>

#include <HsFFI.h>
#include <Rts.h>

#ifndef VIRGIL_HS_RTS_OPTS
#define VIRGIL_HS_RTS_OPTS "--install-signal-handlers=no -maxN4 -qg"
#endif

long virgil_hs_in_flight(void);
extern atomic_int virgil_hs_stopped;

static int virgil_hs_started;

__attribute__((constructor)) static void virgil_hs_start(void)
{
    /* The program name the RTS uses in its own messages: this library's file name. */
    static char name[256] = "virgil-haskell-guest";
    static char *args[] = {name, NULL};
    Dl_info info;
    if (dladdr((void *)&virgil_hs_start, &info) != 0 && info.dli_fname != NULL) {
        const char *base = strrchr(info.dli_fname, '/');
        base = base != NULL ? base + 1 : info.dli_fname;
        strncpy(name, base, sizeof name - 1);
    }
    int argc = 1;
    char **argv = args;
    RtsConfig conf = defaultRtsConfig;
    conf.rts_opts_enabled = RtsOptsIgnoreAll;
    conf.rts_opts_suggestions = HS_BOOL_FALSE;
    conf.rts_opts = VIRGIL_HS_RTS_OPTS;
    conf.keep_cafs = HS_BOOL_TRUE;
    hs_init_ghc(&argc, &argv, conf);
    virgil_hs_started = 1;
}

/* Runs when the process exits normally or the library is unloaded (hosts never unload). It
 * flushes the Haskell stdout/stderr handles and stops the runtime; while a call is still running
 * on another thread it leaves the runtime alone, since stopping it would kill that call. */
__attribute__((destructor)) static void virgil_hs_stop(void)
{
    if (virgil_hs_started && virgil_hs_in_flight() == 0) {
        virgil_hs_started = 0;
        atomic_store_explicit(&virgil_hs_stopped, 1, memory_order_release);
        hs_exit();
    }
}
