/*
 * pt_library.c — the identity of the loaded ptopt.so (see pt_library.h).
 */
#include "postgres.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include "pt_library.h"

static PtLibraryStamp own_stamp;

/* Record the stamp of the file this process just loaded (called from _PG_init). */
void
PtLibraryStampInit(void)
{
	Dl_info		info;
	struct stat st;

	memset(&own_stamp, 0, sizeof(own_stamp));
	if (dladdr((void *) PtLibraryStampInit, &info) == 0 || info.dli_fname == NULL)
		return;
	if (stat(info.dli_fname, &st) != 0)
		return;
	own_stamp.dev = (uint64) st.st_dev;
	own_stamp.ino = (uint64) st.st_ino;
	own_stamp.mtime_sec = (int64) st.st_mtim.tv_sec;
	own_stamp.mtime_nsec = (int64) st.st_mtim.tv_nsec;
}

/* This process's stamp (all zero when the file could not be identified). */
const PtLibraryStamp *
PtLibraryStampOwn(void)
{
	return &own_stamp;
}

/* True when a stamp identifies nothing. */
static bool
stamp_unknown(const PtLibraryStamp *s)
{
	return s->dev == 0 && s->ino == 0 && s->mtime_sec == 0 && s->mtime_nsec == 0;
}

/* Raise: the process that laid out the segment runs another build of the library. */
void
PtLibraryRaiseOtherBuild(const char *worker_kind)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the ptopt library was replaced after this session loaded it"),
			 errdetail("The %s loaded the library file installed now, the process that started it still runs the one it loaded earlier, and the two builds cannot share a search.",
					   worker_kind),
			 errhint("Reconnect, so the session loads the installed library, and start the search again.")));
}

/* Raise when the caller's stamp says it runs another build than this process. */
void
PtLibraryStampCheck(const PtLibraryStamp *caller, const char *worker_kind)
{
	if (caller == NULL || stamp_unknown(caller) || stamp_unknown(&own_stamp))
		return;
	if (memcmp(caller, &own_stamp, sizeof(own_stamp)) != 0)
		PtLibraryRaiseOtherBuild(worker_kind);
}
